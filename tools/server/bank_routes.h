// Route module: PDQ hashing and hash banks (include/vigil/hash_bank.h, bank_matcher.h).
//   POST   /v1/images:hash                  (read)  an image body -> hash, quality, dihedral hashes
//   POST   /v1/images:match[?bank=B]        (read)  an image body -> bank entries within threshold
//   GET    /v1/banks                        (read)  banks with settings and entry counts
//   POST   /v1/banks                        (admin) create {"name", "threshold", "quality_floor", "dihedral"}
//   DELETE /v1/banks/{bank}                 (admin) delete a bank and its entries
//   POST   /v1/banks/{bank}/entries         (admin) {"entries": [{"hash", "external_id", "category",
//                                                   "source"}]} or an image body (hashed; ?external_id=
//                                                   &category=&source=) -> the new ids
//   DELETE /v1/banks/{bank}/entries/{id}    (admin) remove one entry
// Writes refresh the matcher before answering, so a hash added here matches in the next request;
// hashes added by other processes match after the matcher's periodic refresh.
#pragma once

#include "router.h"
#include "server_config.h"
#include "vigil/bank_matcher.h"

namespace vigil::server {

// Registers the routes. `banks` may be null (banks disabled: the routes answer 503); it must
// outlive the router.
Status RegisterBankRoutes(Router& router, const ServerConfig& config, BankMatcher* banks);

}  // namespace vigil::server
