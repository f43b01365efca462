// simdjson itself (Debian's libsimdjson-dev, the kernel it picks at run time) on the bodies the Rust side wrote:
// its DOM parse (stage 1, the SIMD structural index, then stage 2, which checks the grammar and builds a tape) is a
// full validation; stage 1 alone (ondemand's iterate) finds the structure and checks UTF-8 but not the grammar.
// Best of 31 interleaved rounds, as the Rust side. Run by `make bench-validators`.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace simdjson;

// The seconds one call of `run` takes, over `reps` calls.
template <typename F>
static double timed(F run, int reps) {
  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; k++) run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: simdjson DIR\n");
    return 2;
  }
  std::printf("simdjson, kernel %s\n", get_active_implementation()->name().c_str());
  for (const char* shape : {"records", "attachment"}) {
    for (const char* size : {"64KiB", "1MiB"}) {
      padded_string json;
      std::string path = std::string(argv[1]) + "/" + shape + "-" + size + ".json";
      if (padded_string::load(path).get(json)) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 1;
      }
      int reps = json.size() > 100000 ? 5 : 50;
      dom::parser dom;
      ondemand::parser ondemand;
      auto parse = [&] {
        dom::element doc;
        if (dom.parse(json).get(doc)) std::abort();
      };
      auto stage1 = [&] {
        auto doc = ondemand.iterate(json);
        if (doc.error()) std::abort();
      };
      double best_parse = 1e9, best_stage1 = 1e9;
      for (int round = 0; round < 31; round++) {  // the two sides interleaved, round by round
        best_parse = std::min(best_parse, timed(parse, reps));
        best_stage1 = std::min(best_stage1, timed(stage1, reps));
      }
      std::printf("%s %s\n", shape, size);
      std::printf("  %-42s %8.1f µs %8.2f\n", "simdjson DOM parse (validates)", best_parse * 1e6,
                  json.size() / best_parse / 1e9);
      std::printf("  %-42s %8.1f µs %8.2f\n", "simdjson stage 1 only (no grammar check)", best_stage1 * 1e6,
                  json.size() / best_stage1 / 1e9);
    }
  }
}
