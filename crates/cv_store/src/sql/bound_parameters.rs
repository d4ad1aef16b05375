//! The check behind the invariant "SQL takes values only as bound parameters"
//! (ARCHITECTURE.md): in the store crates' sources, every `format!`/`write!` whose template is
//! SQL may interpolate only the reviewed expressions of [`ALLOWED`] — table and column names
//! from constants, placeholder numbers, SQL fragments built from those, a schema name checked
//! against `[a-z_][a-z0-9_]*` — and never a value. Anything else fails the test, including a
//! new interpolation that is in fact safe: add it to [`ALLOWED`] with the reason.

use std::path::{Path, PathBuf};

/// The crates whose sources are read.
const CRATES: &[&str] = &["cv_store", "cv_store_sqlite", "cv_store_postgres"];

/// Macros that build strings from a template.
const MACROS: &[&str] = &["format!(", "write!(", "writeln!(", "format_args!("];

/// A template holding one of these words (whole, upper case) is SQL.
const SQL_WORDS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "WHERE",
    "FROM",
    "SET",
    "AND",
    "OR",
    "VALUES",
    "JOIN",
    "LIMIT",
    "ORDER",
    "CREATE",
    "DROP",
    "ALTER",
    "LISTEN",
    "NOTIFY",
    "EXISTS",
    "CAST",
    "RETURNING",
    "FOR",
];

/// `(file, expression, why it cannot carry a value)`: every expression an SQL template may
/// interpolate. Expressions are compared without whitespace.
const ALLOWED: &[(&str, &str, &str)] = &[
    ("cv_store/src/sql.rs", "ACTION_LIST_COLUMNS", "a constant column list"),
    (
        "cv_store/src/sql.rs",
        "filter_conditions(filter,4)",
        "column names from a constant list, `$N` placeholders",
    ),
    (
        "cv_store/src/sql.rs",
        "filter_conditions(filter,3)",
        "column names from a constant list, `$N` placeholders",
    ),
    ("cv_store/src/sql.rs", "column", "a column name from a constant list"),
    ("cv_store/src/sql.rs", "first+i", "a placeholder number"),
    ("cv_store/src/sql/metadata_purge.rs", "t.table", "a table name from `metadata_table`"),
    ("cv_store/src/sql/metadata_purge.rs", "has_key", "a backend's fixed test of `$N`"),
    ("cv_store_postgres/src/products.rs", "qp::PRODUCT_COLUMNS", "a constant column list"),
    ("cv_store_postgres/src/products.rs", "qp::SKU_COLUMNS", "a constant column list"),
    ("cv_store_postgres/src/products.rs", "qp::SELECT_PRODUCT_BY_ID", "a constant statement"),
    ("cv_store_postgres/src/store.rs", "q::SELECT_CUSTOMER_BY_ID", "a constant statement"),
    ("cv_store_postgres/src/webhooks.rs", "qw::SELECT_PROJECT_ENDPOINTS", "a constant statement"),
    ("cv_store_postgres/src/metadata_purge.rs", "metadata(t)", "a column or JSON path constant"),
    ("cv_store_postgres/src/metadata_purge.rs", "key", "a placeholder name (`$3`)"),
    ("cv_store_postgres/src/metadata_purge.rs", "removed", "a constant expression of `$3`"),
    ("cv_store_postgres/src/metadata_purge.rs", "set", "constant SET clauses of `$N`"),
    ("cv_store_postgres/src/metadata_purge.rs", "t.table", "a table name from `metadata_table`"),
    ("cv_store_postgres/src/metadata_purge.rs", "has_key(t,\"$3\")", "a fixed test of `$3`"),
    (
        "cv_store_postgres/src/migrate.rs",
        "schema",
        "a schema name `db::config` checked against [a-z_][a-z0-9_]*",
    ),
    (
        "cv_store_postgres/src/listen.rs",
        "channels.wake",
        "a channel named after the checked schema",
    ),
    (
        "cv_store_postgres/src/listen.rs",
        "channels.changes",
        "a channel named after the checked schema",
    ),
    ("cv_store_sqlite/src/metadata_purge.rs", "t.table", "a table name from `metadata_table`"),
    ("cv_store_sqlite/src/metadata_purge.rs", "source", "a column or JSON path of `t.table`"),
    ("cv_store_sqlite/src/metadata_purge.rs", "key", "a placeholder name (`$4`)"),
    ("cv_store_sqlite/src/metadata_purge.rs", "document(t)", "a constant column name"),
    ("cv_store_sqlite/src/metadata_purge.rs", "set_updated_at", "a constant SET clause of `?3`"),
];

/// One string-building macro call whose template is SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SqlTemplate {
    /// The template as written.
    template: String,
    /// The interpolated expressions, whitespace removed.
    interpolated: Vec<String>,
}

/// The SQL templates built in `source` and what each interpolates.
fn sql_templates(source: &str) -> Vec<SqlTemplate> {
    let mut out = Vec::new();
    for mac in MACROS {
        for (start, _) in source.match_indices(mac) {
            // `format!(` inside an identifier (`my_format!(`) is another macro.
            let before = source[..start].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' {
                continue;
            }
            let args = arguments(&source[start + mac.len()..]);
            // `write!(out, "…")`: the template is the first string literal.
            let Some(index) = args.iter().position(|a| is_string_literal(a)) else { continue };
            let template = literal_text(&args[index]);
            if !is_sql(&template) {
                continue;
            }
            let rest = &args[index + 1..];
            out.push(SqlTemplate { interpolated: interpolated(&template, rest), template });
        }
    }
    out
}

/// The top-level, comma-separated arguments of a call whose `(` was just consumed.
fn arguments(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                current.push(c);
                while let Some(s) = chars.next() {
                    current.push(s);
                    if s == '\\' {
                        current.extend(chars.next());
                    } else if s == '"' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        args.push(current);
    }
    args.into_iter().map(|a| a.trim().to_owned()).collect()
}

fn is_string_literal(arg: &str) -> bool {
    arg.starts_with('"') || arg.starts_with("r\"") || arg.starts_with("r#")
}

/// A literal's text with its quotes and line continuations removed.
fn literal_text(literal: &str) -> String {
    let inner = literal.trim_start_matches('r').trim_matches('#').trim_matches('"');
    let mut out = String::new();
    let mut lines = inner.split("\\\n");
    out.push_str(lines.next().unwrap_or(""));
    for line in lines {
        out.push_str(line.trim_start());
    }
    out
}

fn is_sql(template: &str) -> bool {
    template
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| SQL_WORDS.contains(&word))
}

/// The expression behind each `{…}` of `template`, given the arguments after it.
fn interpolated(template: &str, rest: &[String]) -> Vec<String> {
    let named = |name: &str| {
        rest.iter().find_map(|a| {
            let (key, value) = a.split_once('=')?;
            (key.trim() == name && !value.starts_with('=')).then(|| value.trim().to_owned())
        })
    };
    let positional: Vec<&String> = rest.iter().filter(|a| named_key(a).is_none()).collect();
    let mut out = Vec::new();
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            chars.next();
        } else if c == '{' {
            let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
            let name = spec.split(':').next().unwrap_or("").trim();
            let expression = if name.is_empty() {
                next += 1;
                positional.get(next - 1).map(|s| s.to_string())
            } else if let Ok(index) = name.parse::<usize>() {
                positional.get(index).map(|s| s.to_string())
            } else {
                named(name).or_else(|| Some(name.to_owned()))
            };
            let expression = expression.unwrap_or_else(|| format!("<missing argument {spec}>"));
            out.push(expression.split_whitespace().collect());
        }
    }
    out
}

/// `name` of a `name = expr` argument.
fn named_key(arg: &str) -> Option<&str> {
    let (key, value) = arg.split_once('=')?;
    let key = key.trim();
    let is_ident = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    (is_ident && !value.starts_with('=')).then_some(key)
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn store_sql_interpolates_no_values() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/");
    let mut checked = 0;
    let mut used = vec![false; ALLOWED.len()];
    let mut refused = Vec::new();
    for name in CRATES {
        let mut files = Vec::new();
        sources(&crates.join(name).join("src"), &mut files);
        for file in files {
            let relative = file.strip_prefix(crates).expect("under crates/");
            let relative = relative.to_string_lossy().replace('\\', "/");
            if relative == "cv_store/src/sql/bound_parameters.rs" {
                continue; // This file: its examples are SQL built wrongly on purpose.
            }
            let source = std::fs::read_to_string(&file).expect("a readable source");
            for sql in sql_templates(&source) {
                checked += 1;
                for expression in &sql.interpolated {
                    match ALLOWED.iter().position(|(f, e, _)| *f == relative && e == expression) {
                        Some(i) => used[i] = true,
                        None => refused
                            .push(format!("{relative}: {{{expression}}} in {:?}", sql.template)),
                    }
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} SQL templates found: is the scan reading the sources?");
    assert!(
        refused.is_empty(),
        "SQL built with interpolated values (bind them as $N):\n{}",
        refused.join("\n")
    );
    let stale: Vec<_> = ALLOWED.iter().zip(&used).filter(|(_, u)| !**u).map(|(a, _)| a).collect();
    assert!(stale.is_empty(), "ALLOWED names expressions no SQL template uses: {stale:?}");
}

#[test]
fn the_scan_sees_a_value_interpolated_into_sql() {
    let source = r#"
        let a = format!("SELECT id FROM customers WHERE source_id = '{source_id}'");
        let b = format!(
            "UPDATE {table} SET name = '{}' \
             WHERE id = $1",
            patch.name
        );
        let c = format!("{} FOR UPDATE", q::SELECT);
        let d = my_format!("SELECT {x}");
        let e = format!("Cannot find {resource} with id {id}");
        write!(out, " AND {column} = ${}", first + i);
    "#;
    let found = sql_templates(source);
    let interpolated: Vec<Vec<String>> = found.iter().map(|t| t.interpolated.clone()).collect();
    assert_eq!(
        interpolated,
        [
            vec!["source_id".to_owned()],
            vec!["table".to_owned(), "patch.name".to_owned()],
            vec!["q::SELECT".to_owned()],
            vec!["column".to_owned(), "first+i".to_owned()],
        ]
    );
}
