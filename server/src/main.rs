//! `oip`: the server and its command line (see `oip_server::cli`).

fn main() -> anyhow::Result<()> {
    oip_server::cli::main()
}
