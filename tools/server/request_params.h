// Query-parameter parsing for the routes: typed values with ranges, the set of accepted names, and
// names (models) checked before they are used anywhere (lookups, labels, logs). Each returns a
// kInvalidArgument Status naming the parameter; the route sends it as a 400.
//
//   int top_k = 0;
//   VIGIL_RETURN_IF_ERROR(ReadIntParam(req, "top_k", 0, 1 << 20, &top_k));
//
// Thread-safety: stateless functions.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil::server {

// Every query parameter is one of `accepted` and given at most once (a typo such as
// "score_treshold" must not silently fall back to the default).
Status CheckQueryParams(const httplib::Request& req, const std::vector<std::string>& accepted);

// An optional integer parameter in [min, max]; `*out` is left alone when it is absent.
Status ReadIntParam(const httplib::Request& req, const char* name, int min, int max, int* out);
// An optional decimal number (digits, '.', exponent; no hex, inf or nan) in [min, max], or
// (min, max] when `open_min`.
Status ReadNumberParam(const httplib::Request& req, const char* name, double min, bool open_min, double max,
                       float* out);
// An optional boolean: exactly "true" or "false".
Status ReadBoolParam(const httplib::Request& req, const char* name, bool* out);

// A model name as the repository allows it: 1..128 of letters, digits, '_', '-', '.'. Anything
// else (empty, NUL or other control characters, '/', spaces...) is refused naming `what`.
Status CheckModelName(const std::string& what, const std::string& name);

}  // namespace vigil::server
