// The OpenAPI 3.0 description of the HTTP API, served at /openapi.json.
#include <nlohmann/json.hpp>

#include "http_server.h"

namespace vigil::server {
namespace {

using nlohmann::json;

json ErrorResponse(const std::string& description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json JsonResponse(const std::string& description, const std::string& schema) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + schema}}}}}}}};
}

}  // namespace

std::string OpenApiJson() {
  json schemas = {
      {"Error",
       {{"type", "object"},
        {"required", {"error"}},
        {"properties",
         {{"error",
           {{"type", "object"},
            {"required", {"code", "message"}},
            {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
      {"LabelScore",
       {{"type", "object"},
        {"properties", {{"label", {{"type", "string"}}}, {"score", {{"type", "number"}}}}}}},
      {"ImageResult",
       {{"type", "object"},
        {"properties",
         {{"filename", {{"type", "string"}}},
          {"model", {{"type", "string"}}},
          {"version", {{"type", "integer"}}},
          {"predictions", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/LabelScore"}}}}},
          {"embedding", {{"type", "array"}, {"items", {{"type", "number"}}}}},
          {"error", {{"$ref", "#/components/schemas/Error/properties/error"}}}}}}},
      {"ClassifyResponse",
       {{"type", "object"},
        {"properties",
         {{"results", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/ImageResult"}}}}}}}}},
      {"Model",
       {{"type", "object"},
        {"properties",
         {{"name", {{"type", "string"}}},
          {"version", {{"type", "integer"}}},
          {"task", {{"type", "string"}}},
          {"input", {{"type", "object"}}},
          {"labels", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"embedding_size", {{"type", "integer"}}},
          {"backend", {{"type", "string"}}},
          {"source", {{"type", "string"}}}}}}},
      {"ModelList",
       {{"type", "object"},
        {"properties", {{"models", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Model"}}}}}}}}},
      {"Health", {{"type", "object"}, {"properties", {{"status", {{"type", "string"}}}}}}}};
  json query_params = json::array(
      {{{"name", "model"}, {"in", "query"}, {"schema", {{"type", "string"}}},
        {"description", "Model name (default: the server's default model)"}},
       {{"name", "version"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
        {"description", "Model version (0 or absent: latest loaded)"}},
       {{"name", "top_k"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
        {"description", "Return only the K best labels (0: all)"}},
       {{"name", "embedding"}, {"in", "query"}, {"schema", {{"type", "boolean"}}},
        {"description", "Include the penultimate embedding"}}});
  json binary = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
  json classify = {
      {"summary", "Classify one image (raw body) or several (multipart/form-data)"},
      {"operationId", "classifyImages"},
      {"parameters", query_params},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"image/jpeg", binary},
          {"image/png", binary},
          {"image/webp", binary},
          {"application/octet-stream", binary},
          {"multipart/form-data",
           {{"schema",
             {{"type", "object"},
              {"properties",
               {{"file", {{"type", "array"}, {"items", {{"type", "string"}, {"format", "binary"}}}}}}}}}}}}}}},
      {"responses",
       {{"200", JsonResponse("Per-image results (a failed image carries its own error)", "ClassifyResponse")},
        {"400", ErrorResponse("Malformed request")},
        {"401", ErrorResponse("Missing or unknown API key")},
        {"404", ErrorResponse("Unknown model")},
        {"413", ErrorResponse("Body or image over a limit")},
        {"415", ErrorResponse("Unsupported content type or image format")},
        {"422", ErrorResponse("Corrupt or truncated image")},
        {"503", ErrorResponse("Overloaded or shutting down (see Retry-After)")},
        {"504", ErrorResponse("Timed out")}}}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Vigil"},
        {"version", "0.1.0"},
        {"description", "Classify images with the models in Vigil's model repository."}}},
      {"paths",
       {{"/v1/images:classify", {{"post", classify}}},
        {"/v1/models",
         {{"get",
           {{"summary", "Loaded models"},
            {"operationId", "listModels"},
            {"responses", {{"200", JsonResponse("Models", "ModelList")}, {"401", ErrorResponse("Missing API key")}}}}}}},
        {"/v1/models:reload",
         {{"post",
           {{"summary", "Re-read the model repository without a restart (role admin)"},
            {"operationId", "reloadModels"},
            {"responses",
             {{"200", JsonResponse("Models now loaded", "ModelList")},
              {"401", ErrorResponse("Missing API key")},
              {"403", ErrorResponse("Not an admin key")},
              {"409", ErrorResponse("Some models failed to load")}}}}}}},
        {"/healthz",
         {{"get", {{"summary", "Liveness"}, {"operationId", "health"},
                   {"responses", {{"200", JsonResponse("Alive", "Health")}}}}}}},
        {"/readyz",
         {{"get", {{"summary", "Readiness: models loaded and not shutting down"}, {"operationId", "ready"},
                   {"responses", {{"200", JsonResponse("Ready", "Health")},
                                  {"503", ErrorResponse("Not ready")}}}}}}},
        {"/metrics",
         {{"get",
           {{"summary", "Prometheus metrics (text format 0.0.4)"},
            {"operationId", "metrics"},
            {"responses", {{"200", {{"description", "Metrics"},
                                    {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}}}}}}},
        {"/openapi.json",
         {{"get", {{"summary", "This document"}, {"operationId", "openapi"},
                   {"responses", {{"200", {{"description", "OpenAPI 3 document"},
                                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}}}}}}},
      {"components",
       {{"schemas", schemas},
        {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
                             {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}}}},
      {"security", json::array({{{"bearer", json::array()}}, {{"apiKey", json::array()}}})}};
  return doc.dump(2);
}

}  // namespace vigil::server
