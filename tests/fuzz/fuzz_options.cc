// Sanitizer defaults linked into every fuzz target, so that a run by hand behaves as under
// ctest: UndefinedBehaviorSanitizer stops at its first report (by default it prints and goes
// on, which libFuzzer would never see as a crash).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
