//! Human-readable output: the action list as a table, one action as labelled lines with its
//! result and failed items.

use std::fmt::Write as _;

use serde_json::Value;

/// How many failed items an action's detail shows (the rest are counted).
const FAILED_SHOWN: usize = 20;

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rows under a header, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// `GET /v1/async-actions` as a table, with a hint for the next page.
pub fn action_list(list: &Value) -> String {
    let actions = list["async_actions"].as_array().map(Vec::as_slice).unwrap_or_default();
    if actions.is_empty() {
        return "No async actions.\n".to_owned();
    }
    let rows: Vec<Vec<String>> = actions
        .iter()
        .map(|a| {
            vec![
                text(&a["id"]),
                text(&a["type"]),
                text(&a["status"]),
                format!("{}%", text(&a["progress"])),
                text(&a["created_at"]),
            ]
        })
        .collect();
    let mut out = table(&["ID", "TYPE", "STATUS", "PROGRESS", "CREATED"], &rows);
    if list["has_more"] == Value::Bool(true)
        && let Some(last) = actions.last()
    {
        let _ = writeln!(out, "More: --end-date {}", text(&last["created_at"]));
    }
    out
}

/// One action: its fields, then its result (message, counts, report links) and the failed
/// items (`failed[]` of imports, `errors[]` of bulk updates) as a table.
pub fn action(action: &Value) -> String {
    let mut lines: Vec<(&str, String)> = vec![
        ("ID", text(&action["id"])),
        ("Type", text(&action["type"])),
        ("Status", format!("{} ({})", text(&action["status"]), text(&action["operation_status"]))),
        ("Progress", format!("{}%", text(&action["progress"]))),
    ];
    if let (Some(done), Some(total)) =
        (action["processed_items"].as_u64(), action["total_items"].as_u64())
    {
        lines.push(("Items", format!("{done}/{total}")));
    }
    lines.push(("Created", text(&action["created_at"])));
    lines.push(("Updated", text(&action["updated_at"])));
    lines.push(("Processing time", format!("{} ms", text(&action["processing_time"]))));
    let result = &action["result"];
    for (label, key) in [("Message", "message"), ("Done", "done_count"), ("Failed", "failed_count")]
    {
        if !result[key].is_null() {
            lines.push((label, text(&result[key])));
        }
    }
    if let Some(reason) = result["error"]["message"].as_str()
        && Some(reason) != result["message"].as_str()
    {
        lines.push(("Error", reason.to_owned()));
    }
    for report in result["reports"].as_array().map(Vec::as_slice).unwrap_or_default() {
        lines.push(("Report", text(report)));
    }
    let width = lines.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in &lines {
        let _ = writeln!(out, "{label:<width$}  {value}");
    }
    out.push_str(&failed_items(result));
    out
}

/// The failed items of a result, as a table of the fields they have.
fn failed_items(result: &Value) -> String {
    let items: Vec<&Value> =
        ["failed", "errors"].iter().filter_map(|key| result[*key].as_array()).flatten().collect();
    if items.is_empty() {
        return String::new();
    }
    let columns: Vec<&str> = ["row", "source_id", "code", "reason", "message", "details"]
        .into_iter()
        .filter(|key| items.iter().any(|item| !item[*key].is_null()))
        .collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .take(FAILED_SHOWN)
        .map(|item| columns.iter().map(|key| text(&item[*key])).collect())
        .collect();
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = format!("\nFailed items:\n{}", table(&header, &rows));
    if items.len() > FAILED_SHOWN {
        let _ = writeln!(out, "… and {} more", items.len() - FAILED_SHOWN);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let rows =
            vec![vec!["a".to_owned(), "long cell".to_owned()], vec!["bbb".into(), "x".into()]];
        assert_eq!(table(&["K", "V"], &rows), "K    V\na    long cell\nbbb  x\n");
    }

    #[test]
    fn an_action_shows_its_result_and_failed_items() {
        let a = json!({"id": "aa_1", "type": "CUSTOMERS.IMPORT_CSV", "status": "DONE",
            "operation_status": "SUCCESS", "progress": 100, "created_at": "c", "updated_at": "u",
            "processing_time": 5, "result": {"message": "1 ok, 1 failed.", "done_count": 1,
            "failed_count": 1, "failed": [{"source_id": "", "row": 2, "reason": "no id"}]}});
        let shown = action(&a);
        assert!(shown.contains("Status           DONE (SUCCESS)\n"), "{shown}");
        assert!(shown.contains("Message          1 ok, 1 failed.\n"), "{shown}");
        assert!(
            shown.ends_with("Failed items:\nROW  SOURCE_ID  REASON\n2               no id\n"),
            "{shown}"
        );
    }

    #[test]
    fn a_list_with_more_pages_says_how_to_get_the_next() {
        let list = json!({"async_actions": [{"id": "aa_1", "type": "T", "status": "DONE",
            "progress": 100, "created_at": "2026-01-01T00:00:00.000Z"}], "has_more": true});
        let shown = action_list(&list);
        assert!(shown.starts_with("ID    TYPE  STATUS  PROGRESS  CREATED\n"), "{shown}");
        assert!(shown.ends_with("More: --end-date 2026-01-01T00:00:00.000Z\n"), "{shown}");
        assert_eq!(
            action_list(&json!({"async_actions": [], "has_more": false})),
            "No async actions.\n"
        );
    }
}
