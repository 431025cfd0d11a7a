// tq-bench's flags, each defined once. A default here is the one every command that accepts it
// promises, except where a command says otherwise in its help and reads it through cli::WasGiven:
//   --queries: distortion 32 (below); recall all test rows; subset required.
//   --k:       recall 64 (below); subset 100.
//   --n:       recall 0 = all (below); subset required.
#include "tools/bench/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, data, "", "ann-benchmarks HDF5 file");
ABSL_FLAG(int64_t, queries, 32, "queries (test rows) to use");
ABSL_FLAG(int, threads, 0, "threads (0 = all cores)");
ABSL_FLAG(uint64_t, seed, 42, "seed of the rotations, projections and random data");
ABSL_FLAG(bool, json, false, "print one JSON object instead of a table");
ABSL_FLAG(std::string, report, "", "folder for the report files");
ABSL_FLAG(int64_t, n, 0, "train rows to use (0 = all)");
ABSL_FLAG(int64_t, k, 64, "neighbours per query");
ABSL_FLAG(int, dim, 1536, "dimension of the random unit vectors (ignored with --data)");
ABSL_FLAG(std::string, bits, "1,2,3,4", "bit widths, comma-separated, each in 1..4");
ABSL_FLAG(int, samples, 20000, "number of vectors (random, or the first rows of --data)");
ABSL_FLAG(std::string, rotation, "haar", "haar (the paper's) or fast");
ABSL_FLAG(std::string, variants, "mse,prod,corrected", "comma-separated TurboQuant variants");
ABSL_FLAG(std::string, dataset, "train", "dataset of --data holding the vectors");
ABSL_FLAG(std::string, methods, "", "comma-separated: tqB, pqB, rabitqB");
ABSL_FLAG(std::string, variant, "corrected", "TurboQuant variant of tqB");
ABSL_FLAG(int, rerank, 0, "candidates rescored exactly (0 = off)");
ABSL_FLAG(std::string, out, "", "file to write");
ABSL_FLAG(std::string, random, "", "NxD random Gaussian vectors instead of --data");
ABSL_FLAG(bool, faiss, false, "also measure FAISS's IndexPQ and IndexFlat (libfaiss-dev builds)");
