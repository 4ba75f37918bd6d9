// vigil: command-line front end (argv -> options -> library -> text/JSON).
#include <cstdio>

int main() {
  std::puts("vigil 0.1.0");
  return 0;
}
