//! The `oip` command line, built inside the tests package so that its integration tests can
//! start it as a real process (`CARGO_BIN_EXE_oip-under-test`) and kill it.

fn main() -> anyhow::Result<()> {
    oip_server::cli::main()
}
