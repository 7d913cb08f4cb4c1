//! The `grizzly` command-line tool: an interactive SQL shell, batch runner and TPC-H demo.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
