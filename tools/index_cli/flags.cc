// Defaults here are the ones the commands' --help texts (in each *_command.cc) promise.
#include "tools/index_cli/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, data, "", "vector file");
ABSL_FLAG(std::string, dataset, "", "HDF5 dataset (train for build/add, test for query)");
ABSL_FLAG(std::string, ids, "", "file of ids, one per vector");
ABSL_FLAG(std::string, index, "", "index file");
ABSL_FLAG(std::string, out, "", "output file");
ABSL_FLAG(std::string, queries, "", "query vector file");
ABSL_FLAG(double, bits, 4, "bits per coordinate, 1..4 (a fraction for a non-integer rate)");
ABSL_FLAG(std::string, metric, "", "ip, cosine or l2");
ABSL_FLAG(std::string, variant, "corrected", "mse, prod or corrected");
ABSL_FLAG(std::string, rotation, "fast", "haar or fast");
ABSL_FLAG(uint64_t, seed, 42, "seed of the rotation and QJL projection");
ABSL_FLAG(std::string, keep_vectors, "none", "none, f32 or f16");
ABSL_FLAG(std::string, center, "auto", "auto or none");
ABSL_FLAG(std::string, encoder, "nearest", "nearest or max-cosine");
ABSL_FLAG(int, threads, 0, "threads (0 = all cores)");
ABSL_FLAG(int, k, 10, "neighbours per query");
ABSL_FLAG(int, rerank, 0, "candidates rescored exactly with the kept vectors");
ABSL_FLAG(bool, quiet, false, "no progress line");
ABSL_FLAG(bool, json, false, "JSON output");
ABSL_FLAG(bool, verify, false, "check every checksum");
