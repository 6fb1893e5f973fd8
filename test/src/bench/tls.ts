// The figures in README.md and component/README.md ('Benchmark') were measured in plaintext: the
// benchmark's servers stay plaintext whatever the tests' default (XFT_TEST_TLS), so that a new run
// compares with them. XFT_BENCH_TLS=1 measures over STARTTLS (the clients trust the run's CA).
export const BENCH_TLS = process.env.XFT_BENCH_TLS === "1";
