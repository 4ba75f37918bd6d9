// libFuzzer target: model manifests (manifest.json of the model repository) through ParseManifest,
// which validates; a manifest it accepts must serialise and parse back to an accepted manifest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vigil/model_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vigil::Result<vigil::ModelManifest> manifest = vigil::ParseManifest(text);
  if (!manifest.ok()) return 0;
  if (!vigil::ValidateManifest(*manifest).ok()) std::abort();  // Parse validates
  vigil::Result<vigil::ModelManifest> again = vigil::ParseManifest(vigil::SerializeManifest(*manifest));
  if (!again.ok() || again->name != manifest->name || again->labels != manifest->labels) std::abort();
  return 0;
}
