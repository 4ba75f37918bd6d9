// libFuzzer target: vigil.yaml (yaml-cpp) through the settings table's loader
// (LoadServerSettingsYaml, what LoadServerConfigFile runs on the file's text), then
// NormalizeServerConfig and ValidateServerConfig, as `vigil serve --config` runs them. yaml-cpp
// throws on malformed input: the loader must turn every exception into a Status (an escaping
// exception aborts the fuzzer).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server_config.h"
#include "settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vigil::server::ServerConfig config;
  if (vigil::server::LoadServerSettingsYaml(text, "fuzz.yaml", &config).ok()) {
    vigil::server::NormalizeServerConfig(&config);
    (void)vigil::server::ValidateServerConfig(config);
  }
  return 0;
}
