//! Prometheus metrics: the HTTP series this crate records (a middleware on every route), and
//! the exposition of the process's whole registry, with gauges read from the store at scrape
//! time, at `GET /metrics` (`routes::metrics`).
//!
//! Labels never carry a request's own values: a route is its template (`/v1/async-actions/{id}`,
//! never the id), a request that matches no route is `unmatched`, and an unusual method is
//! `other`, so no client can grow the number of series. Nothing project-specific is labelled
//! (no project, app id or token).

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use cv_domain::{ActionKind, ActionStatus};
use cv_store::ActionCount;
use prometheus::{
    Encoder as _, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry,
    TextEncoder, core::Collector as _, proto::MetricFamily,
};

use crate::AppState;

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The HTTP series and the registry `/metrics` exposes (the process's one registry, holding
/// the engine's and the webhook loop's series too). Cheap to clone.
#[derive(Clone)]
pub struct ApiMetrics {
    registry: Registry,
    /// `conveyor_http_requests_total{method, route, status}`.
    requests: IntCounterVec,
    /// `conveyor_http_request_duration_seconds{method, route}`: until the response's headers
    /// (a streamed body, such as an event stream or a report, is not timed to its end).
    duration: HistogramVec,
}

impl ApiMetrics {
    /// Registers the HTTP series in `registry`, which `/metrics` then exposes whole.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "conveyor_http_requests_total",
                "HTTP requests answered, by method, route template and status code.",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "conveyor_http_request_duration_seconds",
                "Time to answer an HTTP request (to its response headers), by method and route \
                 template.",
            ),
            &["method", "route"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self { registry: registry.clone(), requests, duration })
    }

    /// The exposition: every series of the registry, plus the store's gauges from `counts`
    /// (`conveyor_actions` per type and status, every pair shown, and `conveyor_queue_depth`),
    /// in Prometheus' text format.
    pub fn render(&self, counts: &[ActionCount]) -> prometheus::Result<String> {
        let mut families = self.registry.gather();
        families.extend(store_gauges(counts)?);
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut text = Vec::new();
        TextEncoder::new().encode(&families, &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests.with_label_values(&[method, route, status.as_str()]).inc();
        self.duration.with_label_values(&[method, route]).observe(seconds);
    }
}

/// The gauges computed from the store at scrape time: `conveyor_actions{type, status}` for
/// every type and status (0 where there is none), and `conveyor_queue_depth{status}`, the
/// unfinished actions (ENQUEUED and IN_PROGRESS) of all types.
fn store_gauges(counts: &[ActionCount]) -> prometheus::Result<Vec<MetricFamily>> {
    const STATUSES: [ActionStatus; 4] = [
        ActionStatus::Enqueued,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Failed,
    ];
    let actions = GaugeVec::new(
        Opts::new(
            "conveyor_actions",
            "Actions in the database, all projects, by action type and status.",
        ),
        &["type", "status"],
    )?;
    let depth = GaugeVec::new(
        Opts::new(
            "conveyor_queue_depth",
            "Unfinished actions in the database, all projects: ENQUEUED (waiting for a worker) \
             and IN_PROGRESS (held, or between leases).",
        ),
        &["status"],
    )?;
    for kind in ActionKind::ALL {
        for status in STATUSES {
            actions.with_label_values(&[kind.as_str(), status.as_str()]);
        }
    }
    for status in [ActionStatus::Enqueued, ActionStatus::InProgress] {
        depth.with_label_values(&[status.as_str()]);
    }
    for c in counts {
        let n = c.count as f64;
        actions.with_label_values(&[c.kind.as_str(), c.status.as_str()]).add(n);
        if !c.status.is_final() {
            depth.with_label_values(&[c.status.as_str()]).add(n);
        }
    }
    Ok(actions.collect().into_iter().chain(depth.collect()).collect())
}

/// Middleware on every route (and the fallback): counts the request by method, route template
/// and status, and times it.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.observe(method, route, response.status(), seconds);
    response
}

/// The method's label: the standard methods by name, anything else `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN.iter().find(|m| *m == method).map_or("other", Method::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let odd = Method::from_bytes(b"PURGEALL").expect("method");
        assert_eq!(method_label(&odd), "other");
    }

    #[test]
    fn store_gauges_show_every_pair_and_sum_the_queue() {
        let counts = [
            ActionCount {
                kind: ActionKind::CustomersBulkUpdate,
                status: ActionStatus::Enqueued,
                count: 3,
            },
            ActionCount {
                kind: ActionKind::CustomersImportCsv,
                status: ActionStatus::Enqueued,
                count: 2,
            },
            ActionCount {
                kind: ActionKind::CustomersImportCsv,
                status: ActionStatus::Done,
                count: 7,
            },
        ];
        let metrics = ApiMetrics::register(&Registry::new()).expect("register");
        let text = metrics.render(&counts).expect("render");
        assert!(text.contains(r#"conveyor_queue_depth{status="ENQUEUED"} 5"#), "{text}");
        assert!(text.contains(r#"conveyor_queue_depth{status="IN_PROGRESS"} 0"#), "{text}");
        assert!(
            text.contains(r#"conveyor_actions{status="DONE",type="CUSTOMERS.IMPORT_CSV"} 7"#),
            "{text}"
        );
        let lines = text.lines().filter(|l| l.starts_with("conveyor_actions{")).count();
        assert_eq!(lines, ActionKind::ALL.len() * 4);
    }
}
