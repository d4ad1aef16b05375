//! Following an action until it finishes: long-polls of `GET /v1/async-actions/{id}?wait=…`,
//! each answered when the action moves, shown as a progress bar with items/s and ETA on a
//! terminal, as one plain line per answer otherwise, or not at all (`--json`).

use std::{
    io::{IsTerminal as _, Write as _},
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::Value;

use super::http::{Client, ClientError, Since};

/// How long one long-poll may wait (the server allows up to 30 s). In plain-line mode a line
/// is printed at least this often.
const WAIT: Duration = Duration::from_secs(20);

/// How often a broken connection is retried once the watch has started (a server restart
/// should not end the watch of a long import), and the first pause between tries.
const RETRIES: u32 = 5;
const FIRST_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The pause between two reads of a server without long-polls.
const PLAIN_POLL: Duration = Duration::from_secs(2);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// An indicatif bar on the terminal.
    Bar,
    /// One line per answer on stdout.
    Lines,
    /// Nothing (the final action is printed as JSON).
    Quiet,
}

impl Display {
    /// A bar when stdout is a terminal, else plain lines; nothing for `--json`.
    pub fn choose(json: bool) -> Self {
        match (json, std::io::stdout().is_terminal()) {
            (true, _) => Self::Quiet,
            (false, true) => Self::Bar,
            (false, false) => Self::Lines,
        }
    }
}

/// Follows action `id` until it is DONE or FAILED; returns it in its final (live) form.
pub async fn watch(client: &Client, id: &str, display: Display) -> Result<Value, ClientError> {
    let mut action = client.wait_for_action(id, Duration::ZERO, &Since::default()).await?.body;
    let mut view = View::new(display, &action);
    loop {
        view.show(&action);
        if is_final(&action) {
            view.finish();
            return Ok(action);
        }
        action = next(client, id, &action).await?;
    }
}

/// Whether `action` is DONE or FAILED.
pub fn is_final(action: &Value) -> bool {
    matches!(action["status"].as_str(), Some("DONE" | "FAILED"))
}

/// The action once it moved (or the long-poll's time passed), retrying a broken connection
/// with growing pauses.
async fn next(client: &Client, id: &str, action: &Value) -> Result<Value, ClientError> {
    let since = Since::of(action);
    let mut pause = FIRST_RETRY_PAUSE;
    let mut tries = 0;
    loop {
        match client.wait_for_action(id, WAIT, &since).await {
            // A server that ignores `wait` (Voucherify itself) answers at once, without the
            // live fields: poll it gently instead.
            Ok(answer) if answer.body.get("processed_items").is_none() => {
                tokio::time::sleep(PLAIN_POLL).await;
                return Ok(answer.body);
            }
            Ok(answer) => return Ok(answer.body),
            Err(ClientError::Connection { url, reason }) if tries < RETRIES => {
                eprintln!("warning: {url}: {reason}; trying again in {}s", pause.as_secs());
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Items processed and in all, from the live form.
fn items(action: &Value) -> (u64, u64) {
    (action["processed_items"].as_u64().unwrap_or(0), action["total_items"].as_u64().unwrap_or(0))
}

struct View {
    display: Display,
    bar: Option<ProgressBar>,
    started: Instant,
    first_processed: u64,
}

impl View {
    fn new(display: Display, first: &Value) -> Self {
        let bar = (display == Display::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stdout());
            let template = "{prefix} {msg:11} [{bar:30}] {pos}/{len} items, {rate}, ETA {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} items/s", state.per_sec());
                };
                bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
            }
            bar.set_prefix(first["id"].as_str().unwrap_or_default().to_owned());
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Self { display, bar, started: Instant::now(), first_processed: items(first).0 }
    }

    fn show(&mut self, action: &Value) {
        let status = action["status"].as_str().unwrap_or("?");
        let (processed, total) = items(action);
        match (&self.bar, self.display) {
            (Some(bar), _) => {
                bar.set_length(total.max(processed));
                bar.set_position(processed);
                bar.set_message(status.to_owned());
            }
            (None, Display::Lines) => {
                let line = self.line(action, status, processed, total);
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            (None, _) => {}
        }
    }

    /// `aa_… IN_PROGRESS 40% 400/1000 items, 120 items/s, ETA 5s`
    fn line(&self, action: &Value, status: &str, processed: u64, total: u64) -> String {
        let id = action["id"].as_str().unwrap_or_default();
        let progress = action["progress"].as_u64().unwrap_or(0);
        let mut line = format!("{id} {status} {progress}% {processed}/{total} items");
        let done_here = processed.saturating_sub(self.first_processed);
        let secs = self.started.elapsed().as_secs_f64();
        if done_here > 0 && secs > 0.0 && !is_final(action) {
            let rate = done_here as f64 / secs;
            let eta = total.saturating_sub(processed) as f64 / rate;
            line.push_str(&format!(", {rate:.0} items/s, ETA {}", eta_text(eta)));
        }
        line
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

fn eta_text(secs: f64) -> String {
    let secs = secs.round() as u64;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_lines_show_items_rate_and_eta_while_running() {
        let first = json!({"id": "aa_1", "status": "IN_PROGRESS", "progress": 0,
            "processed_items": 0, "total_items": 1000});
        let mut view = View::new(Display::Lines, &first);
        view.started = Instant::now() - Duration::from_secs(2);
        let running = json!({"id": "aa_1", "status": "IN_PROGRESS", "progress": 40,
            "processed_items": 400, "total_items": 1000});
        assert_eq!(
            view.line(&running, "IN_PROGRESS", 400, 1000),
            "aa_1 IN_PROGRESS 40% 400/1000 items, 200 items/s, ETA 3s"
        );
        let done = json!({"id": "aa_1", "status": "DONE", "progress": 100,
            "processed_items": 1000, "total_items": 1000});
        assert_eq!(view.line(&done, "DONE", 1000, 1000), "aa_1 DONE 100% 1000/1000 items");
        assert_eq!(view.line(&first, "IN_PROGRESS", 0, 1000), "aa_1 IN_PROGRESS 0% 0/1000 items");
    }

    #[test]
    fn etas_read_naturally() {
        assert_eq!(eta_text(4.4), "4s");
        assert_eq!(eta_text(125.0), "2m05s");
        assert_eq!(eta_text(7322.0), "2h02m");
    }
}
