// The OpenAPI 3.0 description of the HTTP API, served at /openapi.json.
#include <nlohmann/json.hpp>

#include "openapi.h"

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

// The hashing and bank routes (bank_routes.h): their schemas into `schemas`, their paths into `paths`.
void AddBankApi(json& schemas, json& paths) {
  const json hex = {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}, {"description", "PDQ hash, 64 hex digits"}};
  schemas["PdqHash"] = {{"type", "object"},
                        {"properties",
                         {{"hash", hex},
                          {"quality", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
                          {"dihedral", {{"type", "object"}, {"description", "orig, rot90, rot180, rot270, flipx, "
                                                                            "flipy, flipp, flipm -> hash"},
                                        {"additionalProperties", hex}}}}}};
  schemas["Bank"] = {{"type", "object"},
                     {"properties",
                      {{"name", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"}}},
                       {"threshold", {{"type", "integer"}, {"minimum", 0}, {"maximum", 64}, {"default", 31}}},
                       {"quality_floor", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}, {"default", 50}}},
                       {"dihedral", {{"type", "boolean"}, {"default", false}}},
                       {"created_unix", {{"type", "integer"}}},
                       {"entries", {{"type", "integer"}}}}}};
  schemas["BankList"] = {{"type", "object"},
                         {"properties", {{"banks", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Bank"}}}}}}}};
  schemas["BankEntry"] = {{"type", "object"},
                          {"properties",
                           {{"id", {{"type", "integer"}}},
                            {"hash", hex},
                            {"external_id", {{"type", "string"}}},
                            {"category", {{"type", "string"}}},
                            {"source", {{"type", "string"}}},
                            {"added_unix", {{"type", "integer"}}},
                            {"time_range", {{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", 2},
                                            {"maxItems", 2}, {"description", "A video frame's [start_s, end_s]"}}}}}};
  schemas["BankMatchResponse"] = {
      {"type", "object"},
      {"properties",
       {{"hash", hex},
        {"quality", {{"type", "integer"}}},
        {"matches",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"bank", {{"type", "string"}}},
              {"entry", {{"$ref", "#/components/schemas/BankEntry"}}},
              {"distance", {{"type", "integer"}}},
              {"transform", {{"type", "string"}, {"description", "Which rotation/flip of the query matched"}}}}}}}}}}}};
  schemas["NewBankEntries"] = {
      {"type", "object"},
      {"required", {"entries"}},
      {"properties",
       {{"entries",
         {{"type", "array"},
          {"maxItems", 100000},
          {"items",
           {{"type", "object"},
            {"required", {"hash"}},
            {"additionalProperties", false},
            {"properties",
             {{"hash", hex}, {"external_id", {{"type", "string"}}}, {"category", {{"type", "string"}}},
              {"source", {{"type", "string"}}}}}}}}}}}};
  schemas["AddedEntries"] = {{"type", "object"},
                             {"properties", {{"bank", {{"type", "string"}}},
                                             {"ids", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
  const json binary = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
  const json image_body = {{"required", true},
                           {"content", {{"image/jpeg", binary}, {"image/png", binary}, {"image/webp", binary},
                                        {"application/octet-stream", binary}}}};
  const json bank_param = {{"name", "bank"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
  auto text_query = [](const char* name, const char* description) {
    return json{{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}}}, {"description", description}};
  };
  paths["/v1/images:hash"] = {
      {"post",
       {{"summary", "PDQ hash, quality and the 8 dihedral hashes of an image"},
        {"operationId", "hashImage"},
        {"requestBody", image_body},
        {"responses",
         {{"200", JsonResponse("The hashes", "PdqHash")},
          {"400", ErrorResponse("Empty body")},
          {"401", ErrorResponse("Missing or unknown API key")},
          {"413", ErrorResponse("Image over a limit")},
          {"415", ErrorResponse("Unsupported content type or image format")},
          {"422", ErrorResponse("Corrupt image")}}}}}};
  paths["/v1/images:match"] = {
      {"post",
       {{"summary", "Match an image against the hash banks (each bank's threshold, quality floor, dihedral setting)"},
        {"operationId", "matchImage"},
        {"parameters", json::array({text_query("bank", "Only this bank (default: all)")})},
        {"requestBody", image_body},
        {"responses",
         {{"200", JsonResponse("Matching entries, closest first", "BankMatchResponse")},
          {"400", ErrorResponse("Empty body or bad bank name")},
          {"401", ErrorResponse("Missing or unknown API key")},
          {"404", ErrorResponse("No such bank")},
          {"415", ErrorResponse("Unsupported content type or image format")},
          {"422", ErrorResponse("Corrupt image")},
          {"503", ErrorResponse("Banks disabled")}}}}}};
  paths["/v1/banks"] = {
      {"get",
       {{"summary", "Hash banks with their settings and entry counts"},
        {"operationId", "listBanks"},
        {"responses", {{"200", JsonResponse("Banks", "BankList")}, {"401", ErrorResponse("Missing API key")},
                       {"503", ErrorResponse("Banks disabled")}}}}},
      {"post",
       {{"summary", "Create a bank (role admin)"},
        {"operationId", "createBank"},
        {"requestBody", {{"required", true},
                         {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Bank"}}}}}}}}},
        {"responses",
         {{"201", JsonResponse("Created", "Bank")},
          {"400", ErrorResponse("Bad name or settings")},
          {"401", ErrorResponse("Missing API key")},
          {"403", ErrorResponse("Not an admin key")},
          {"409", ErrorResponse("The bank exists")},
          {"503", ErrorResponse("Banks disabled")}}}}}};
  paths["/v1/banks/{bank}"] = {
      {"delete",
       {{"summary", "Delete a bank and its entries (role admin)"},
        {"operationId", "deleteBank"},
        {"parameters", json::array({bank_param})},
        {"responses",
         {{"200", {{"description", "Deleted"}}},
          {"401", ErrorResponse("Missing API key")},
          {"403", ErrorResponse("Not an admin key")},
          {"404", ErrorResponse("No such bank")}}}}}};
  json entries_body = image_body;
  entries_body["content"]["application/json"] = {{"schema", {{"$ref", "#/components/schemas/NewBankEntries"}}}};
  paths["/v1/banks/{bank}/entries"] = {
      {"post",
       {{"summary", "Add hashes (JSON) or an image (hashed) to a bank; matchable at once (role admin)"},
        {"operationId", "addBankEntries"},
        {"parameters", json::array({bank_param, text_query("external_id", "Image body: the list's id"),
                                    text_query("category", "Image body: category"),
                                    text_query("source", "Image body: source (default upload)")})},
        {"requestBody", entries_body},
        {"responses",
         {{"201", JsonResponse("The new entry ids", "AddedEntries")},
          {"400", ErrorResponse("Malformed entries")},
          {"401", ErrorResponse("Missing API key")},
          {"403", ErrorResponse("Not an admin key")},
          {"404", ErrorResponse("No such bank")},
          {"413", ErrorResponse("Too many entries")}}}}}};
  paths["/v1/banks/{bank}/entries/{id}"] = {
      {"delete",
       {{"summary", "Remove an entry (role admin)"},
        {"operationId", "removeBankEntry"},
        {"parameters", json::array({bank_param, {{"name", "id"}, {"in", "path"}, {"required", true},
                                                 {"schema", {{"type", "integer"}}}}})},
        {"responses",
         {{"200", {{"description", "Removed"}}},
          {"400", ErrorResponse("Bad id")},
          {"401", ErrorResponse("Missing API key")},
          {"403", ErrorResponse("Not an admin key")},
          {"404", ErrorResponse("No such bank or entry")}}}}}};
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
      {"DetectionTag",
       {{"type", "object"},
        {"description", "A class present in the image: its best detection score and detection count"},
        {"properties",
         {{"label", {{"type", "string"}}}, {"score", {{"type", "number"}}}, {"count", {{"type", "integer"}}}}}}},
      {"Detection",
       {{"type", "object"},
        {"properties",
         {{"label", {{"type", "string"}}},
          {"class_id", {{"type", "integer"}}},
          {"score", {{"type", "number"}}},
          {"box",
           {{"type", "array"},
            {"description", "[x_min, y_min, x_max, y_max] in the image's full-resolution pixels"},
            {"items", {{"type", "number"}}},
            {"minItems", 4},
            {"maxItems", 4}}}}}}},
      {"DetectionModelResult",
       {{"type", "object"},
        {"properties",
         {{"model", {{"type", "string"}}},
          {"version", {{"type", "integer"}}},
          {"task", {{"type", "string"}, {"enum", {"detection"}}}},
          {"backend", {{"type", "string"}}},
          {"detections", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Detection"}}}}},
          {"tags", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/DetectionTag"}}}}}}}}},
      {"ImageResult",
       {{"type", "object"},
        {"description",
         "A classifier fills model, version, predictions (and embedding); a detection model fills width, "
         "height, results and tags (the JSON of `vigil classify -m DETECTOR --json`)"},
        {"properties",
         {{"filename", {{"type", "string"}}},
          {"model", {{"type", "string"}}},
          {"version", {{"type", "integer"}}},
          {"predictions", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/LabelScore"}}}}},
          {"embedding", {{"type", "array"}, {"items", {{"type", "number"}}}}},
          {"width", {{"type", "integer"}}},
          {"height", {{"type", "integer"}}},
          {"results", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/DetectionModelResult"}}}}},
          {"tags", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/DetectionTag"}}}}},
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
          {"task", {{"type", "string"}, {"description", "\"classification\" or \"detection\""}}},
          {"input", {{"type", "object"}}},
          {"labels", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"embedding_size", {{"type", "integer"}}},
          {"backend", {{"type", "string"}}},
          {"source", {{"type", "string"}}}}}}},
      {"ModelList",
       {{"type", "object"},
        {"properties", {{"models", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Model"}}}}}}}}},
      {"Health", {{"type", "object"}, {"properties", {{"status", {{"type", "string"}}}}}}},
      {"Job",
       {{"type", "object"},
        {"required", {"id", "kind", "state", "progress", "attempts", "status_url"}},
        {"properties",
         {{"id", {{"type", "string"}, {"pattern", "^[0-9a-f]{32}$"}}},
          {"kind", {{"type", "string"}, {"example", "video.tag"}}},
          {"state", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed", "cancelled"}}}},
          {"progress", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
          {"attempts", {{"type", "integer"}, {"description", "Times a worker started the job (a restart mid-run counts)"}}},
          {"cancel_requested", {{"type", "boolean"}}},
          {"created_at", {{"type", "string"}, {"format", "date-time"}}},
          {"started_at", {{"type", "string"}, {"format", "date-time"}, {"nullable", true}}},
          {"finished_at", {{"type", "string"}, {"format", "date-time"}, {"nullable", true}}},
          {"updated_at", {{"type", "string"}, {"format", "date-time"}}},
          {"options", {{"type", "object"}, {"description", "The job's options (sampler, models, ...)"}}},
          {"status_url", {{"type", "string"}}},
          {"result", {{"type", "object"},
                      {"description", "state succeeded: the video tags (same JSON as `vigil tag --json`)"}}},
          {"error", {{"$ref", "#/components/schemas/Error/properties/error"}}},
          {"callback",
           {{"type", "object"},
            {"properties",
             {{"url", {{"type", "string"}}},
              {"state", {{"type", "string"}, {"enum", {"none", "pending", "delivered", "failed"}}}},
              {"attempts", {{"type", "integer"}}}}}}}}}}},
      {"JobList",
       {{"type", "object"},
        {"properties", {{"jobs", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Job"}}}}}}}}},
      {"VideoPathRequest",
       {{"type", "object"},
        {"required", {"path"}},
        {"description", "A server-local video under one of jobs.input_dirs, with the same options as the query"},
        {"properties",
         {{"path", {{"type", "string"}}},
          {"sampler", {{"type", "string"}}},
          {"model", {{"oneOf", json::array({{{"type", "string"}},
                                             {{"type", "array"}, {"items", {{"type", "string"}}}}})}}},
          {"max_frames", {{"type", "integer"}, {"minimum", 0}}},
          {"threshold", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
          {"detect_shots", {{"type", "boolean"}}},
          {"frames", {{"type", "boolean"}}},
          {"callback_url", {{"type", "string"}, {"format", "uri"}}}}}}}};
  json query_params = json::array(
      {{{"name", "model"}, {"in", "query"}, {"schema", {{"type", "string"}}},
        {"description", "Model name (default: the server's default model)"}},
       {{"name", "version"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
        {"description", "Model version (0 or absent: latest loaded)"}},
       {{"name", "top_k"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
        {"description", "Return only the K best labels (0: all)"}},
       {{"name", "embedding"}, {"in", "query"}, {"schema", {{"type", "boolean"}}},
        {"description", "Include the penultimate embedding"}},
       {{"name", "score_threshold"}, {"in", "query"}, {"schema", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
        {"description", "Detection models only: keep detections scoring at least this (default: the model's "
                        "manifest; not below the server's limits.detect_min_score_threshold)"}},
       {{"name", "iou_threshold"}, {"in", "query"},
        {"schema", {{"type", "number"}, {"minimum", 0}, {"exclusiveMinimum", true}, {"maximum", 1}}},
        {"description", "Detection models only: NMS drops a box overlapping a better one above this "
                        "(default: the model's manifest)"}},
       {{"name", "max_detections"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}}},
        {"description", "Detection models only: detections kept per image (default: the model's manifest; "
                        "not above the server's limits.detect_max_detections)"}}});
  json binary = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
  json classify = {
      {"summary", "Classify one image (raw body) or several (multipart/form-data), or detect objects in them "
                  "when `model` names a detection model"},
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
        {"400", ErrorResponse("Malformed request, or a parameter out of range or over a server limit")},
        {"401", ErrorResponse("Missing or unknown API key")},
        {"404", ErrorResponse("Unknown model")},
        {"413", ErrorResponse("Body or image over a limit")},
        {"415", ErrorResponse("Unsupported content type or image format")},
        {"422", ErrorResponse("Corrupt or truncated image")},
        {"503", ErrorResponse("Overloaded or shutting down (see Retry-After)")},
        {"504", ErrorResponse("Timed out")}}}};
  json video_params = json::array(
      {{{"name", "sampler"}, {"in", "query"}, {"schema", {{"type", "string"}, {"default", "keyframes"}}},
        {"description", "Frame sampler: keyframes, interval:SECONDS, scene[:THRESHOLD], all"}},
       {{"name", "model"}, {"in", "query"}, {"schema", {{"type", "string"}}},
        {"description", "Model name(s), comma-separated (default: the server's default model)"}},
       {{"name", "max_frames"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}}},
        {"description", "Stop after this many sampled frames (0: no limit)"}},
       {{"name", "threshold"}, {"in", "query"}, {"schema", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
        {"description", "Score threshold for present labels and segments"}},
       {{"name", "detect_shots"}, {"in", "query"}, {"schema", {{"type", "boolean"}}},
        {"description", "Also detect shots (decodes every frame)"}},
       {{"name", "frames"}, {"in", "query"}, {"schema", {{"type", "boolean"}}},
        {"description", "Include per-frame labels in the result"}},
       {{"name", "callback_url"}, {"in", "query"}, {"schema", {{"type", "string"}, {"format", "uri"}}},
        {"description", "POST the finished job here; the host must be in callbacks.allowed_hosts"}}});
  json video_body = {{"required", true}, {"content", json::object()}};
  for (const char* type : {"video/mp4", "video/webm", "video/x-matroska", "video/quicktime", "video/x-msvideo",
                           "video/mpeg", "video/ogg", "application/octet-stream"}) {
    video_body["content"][type] = binary;
  }
  video_body["content"]["multipart/form-data"] = {
      {"schema", {{"type", "object"}, {"properties", {{"file", {{"type", "string"}, {"format", "binary"}}}}}}}};
  video_body["content"]["application/json"] = {{"schema", {{"$ref", "#/components/schemas/VideoPathRequest"}}}};
  json job_id_param = json::array({{{"name", "id"}, {"in", "path"}, {"required", true},
                                    {"schema", {{"type", "string"}}}, {"description", "Job id"}}});
  // The callback POSTed to callback_url when the job ends (Standard Webhooks signature headers).
  auto header = [](const char* name, const char* description, bool required = true) {
    return json{{"name", name}, {"in", "header"}, {"required", required}, {"schema", {{"type", "string"}}},
                {"description", description}};
  };
  json job_finished = {
      {"{$request.query.callback_url}",
       {{"post",
         {{"summary", "The finished job, signed when callbacks.signing_secrets is set (docs/http-api.md)"},
          {"parameters",
           json::array({header("webhook-id", "Delivery id (the job id): the same on every retry"),
                        header("webhook-timestamp", "Unix seconds of this attempt; refuse it when more than "
                                                    "5 minutes from your clock"),
                        header("webhook-signature",
                               "Space-separated \"v1,BASE64\" (one per active secret): HMAC-SHA256 of "
                               "\"{webhook-id}.{webhook-timestamp}.{body}\" keyed with the base64-decoded "
                               "part of a whsec_ secret; only sent with signing secrets",
                               false),
                        header("X-Vigil-Job-Id", "The job id")})},
          {"requestBody",
           {{"required", true},
            {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Job"}}}}}}}}},
          {"responses",
           {{"2XX", {{"description", "Delivered; anything else (3xx included) is retried"}}}}}}}}}};
  json tag_video = {
      {"summary", "Queue a video tagging job (upload or server-local path); poll GET /v1/jobs/{id}"},
      {"operationId", "tagVideo"},
      {"parameters", video_params},
      {"requestBody", video_body},
      {"callbacks", {{"jobFinished", job_finished}}},
      {"responses",
       {{"202", {{"description", "Job queued"},
                 {"headers", {{"Location", {{"description", "/v1/jobs/{id}"}, {"schema", {{"type", "string"}}}}}}},
                 {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Job"}}}}}}}}},
        {"400", ErrorResponse("Malformed request, bad option or callback host not allowed")},
        {"401", ErrorResponse("Missing or unknown API key")},
        {"403", ErrorResponse("Server-local path outside jobs.input_dirs")},
        {"404", ErrorResponse("Server-local path not found, or unknown model")},
        {"413", ErrorResponse("Upload over jobs.max_upload_bytes")},
        {"415", ErrorResponse("Content type not allowed")},
        {"503", ErrorResponse("Jobs disabled or shutting down")}}}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Vigil"},
        {"version", "0.1.0"},
        {"description", "Classify images and tag videos (background jobs) with the models in Vigil's model repository; PDQ hashes and hash banks."}}},
      {"paths",
       {{"/v1/images:classify", {{"post", classify}}},
        {"/v1/videos:tag", {{"post", tag_video}}},
        {"/v1/jobs",
         {{"get",
           {{"summary", "Recent jobs, newest first (role admin)"},
            {"operationId", "listJobs"},
            {"parameters",
             json::array({{{"name", "state"}, {"in", "query"},
                           {"schema", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed", "cancelled"}}}}},
                          {{"name", "limit"}, {"in", "query"},
                           {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}}}})},
            {"responses",
             {{"200", JsonResponse("Jobs", "JobList")},
              {"400", ErrorResponse("Bad state or limit")},
              {"401", ErrorResponse("Missing API key")},
              {"403", ErrorResponse("Not an admin key")}}}}}}},
        {"/v1/jobs/{id}",
         {{"get",
           {{"summary", "A job's state, progress, result or error"},
            {"operationId", "getJob"},
            {"parameters", job_id_param},
            {"responses",
             {{"200", JsonResponse("The job", "Job")},
              {"401", ErrorResponse("Missing API key")},
              {"404", ErrorResponse("No such job")}}}}},
          {"delete",
           {{"summary", "Cancel a job (a queued job at once, a running one at its next check)"},
            {"operationId", "cancelJob"},
            {"parameters", job_id_param},
            {"responses",
             {{"202", JsonResponse("Cancelled or cancellation requested", "Job")},
              {"401", ErrorResponse("Missing API key")},
              {"404", ErrorResponse("No such job")},
              {"409", ErrorResponse("The job already ended")}}}}}}},
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
  AddBankApi(doc["components"]["schemas"], doc["paths"]);
  return doc.dump(2);
}

Status RegisterOpenApiRoute(Router& router) {
  Route route{Method::kGet, "/openapi.json", Access::kPublic,
              [](const httplib::Request&, httplib::Response& res, RouteContext&) { SendJson(res, 200, OpenApiJson()); }};
  route.measured = false;
  return router.Add(std::move(route));
}

}  // namespace vigil::server
