//! The `grizzly` command-line tool.
//!
//! [`main`] (in [`app`]) parses the arguments ([`args`]) and picks a mode: the interactive
//! [`shell`], [`batch`] (`-c`, `-f`, piped input), or a subcommand ([`generate`], [`demo`],
//! [`server`], [`transfer`] for `import`/`export`, [`config`]). [`engine`] applies the engine
//! settings (config file, `--jit`, `--memory-limit`) for the shell, batch and server modes;
//! [`complete`] is the shell's tab completion.
//! Every mode runs statements through a [`session::Session`], which prints results in one of
//! the [`output`] formats; [`split`] cuts input into statements, [`command`] parses dot
//! commands and [`tool_set`] the `SET`s of the tool's own settings.

mod app;
mod args;
mod batch;
mod bench;
mod command;
mod complete;
mod config;
mod demo;
mod engine;
mod error;
mod generate;
mod output;
mod server;
mod session;
mod shell;
mod split;
mod tool_set;
mod tpch;
mod transfer;

pub use app::{main, open_database, report};
