//! Progress bars for long imports and exports (COPY FROM/TO, `read_csv`, `read_parquet`).
//!
//! Off unless the program turns them on with [`set_progress_bars`] (the `grizzly` shell and
//! its `import`/`export` subcommands do, unless quiet), and even then drawn only when standard
//! error is a terminal. A bar appears only once an operation has run for [`DELAY`], so quick
//! statements print nothing. Callers update it per chunk, batch or row group, never per row:
//! an update is a branch and, at most a few times a second, a redraw.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// How long an operation runs before its bar is drawn.
const DELAY: Duration = Duration::from_millis(400);

/// Turns progress bars for imports and exports on or off for this process (default off, which
/// suits libraries, servers and scripts).
pub fn set_progress_bars(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Bytes,
    Rows,
}

/// The progress of one import or export; cleared from the terminal when dropped.
pub(crate) struct Progress {
    /// `None` when bars are off or standard error is not a terminal: every call is a no-op.
    state: Option<State>,
}

struct State {
    label: String,
    total: u64,
    unit: Unit,
    start: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `label` (e.g. `COPY lineitem FROM lineitem.csv`) that ends at `total` units.
    pub(crate) fn new(label: impl Into<String>, total: u64, unit: Unit) -> Progress {
        let on = ENABLED.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
        Progress {
            state: on.then(|| State {
                label: label.into(),
                total,
                unit,
                start: Instant::now(),
                bar: None,
            }),
        }
    }

    /// Sets how far the operation is, in the bar's unit.
    pub(crate) fn set(&mut self, position: u64) {
        let Some(state) = &mut self.state else {
            return;
        };
        if state.bar.is_none() {
            if state.start.elapsed() < DELAY {
                return;
            }
            state.bar = Some(state.draw());
        }
        if let Some(bar) = &state.bar {
            bar.set_position(position.min(state.total));
        }
    }
}

impl State {
    fn draw(&self) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(self.total), ProgressDrawTarget::stderr());
        let counts = match self.unit {
            Unit::Bytes => "{bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            Unit::Rows => "{human_pos}/{human_len} rows ({eta} left)",
        };
        let template = format!("{{msg}} [{{bar:30}}] {counts}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(self.label.clone());
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.state.as_mut().and_then(|s| s.bar.take()) {
            bar.finish_and_clear();
        }
    }
}
