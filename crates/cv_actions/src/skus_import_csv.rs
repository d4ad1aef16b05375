//! `SKUS.IMPORT_CSV`: create SKUs under existing products from an uploaded CSV file; for a
//! `source_id` that already exists only `sku` and `price` change (`POST /v1/skus/importCSV`).
//!
//! Columns `product_id, sku, source_id, price, image_url, attributes` are matched
//! case-insensitively; `product_id` holds the product's **source_id** (Voucherify's template).
//! `source_id` and `product_id` are required; `price` is in major units; `attributes` is a
//! pseudo-JSON object such as `{'color':'blue','size':'XS'}` (single or double quotes) whose
//! keys the product must define — the store checks that, with the product's existence. Every
//! other column becomes a string metadata value (SKUs have no metadata schema).

use async_trait::async_trait;
use cv_domain::{Metadata, SkuRecord, payload::SkusImportCsv};
use cv_engine::ActionError;
use cv_store::{ChunkWrites, Item};
use serde_json::Value;

use crate::{
    Action, Start, csv_cells,
    csv_import::{self, RowMapper},
};

/// Where each column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    ProductId,
    Sku,
    SourceId,
    Price,
    ImageUrl,
    Attributes,
    Metadata,
}

fn column(header: &str) -> Column {
    match header.to_ascii_lowercase().as_str() {
        "product_id" => Column::ProductId,
        "sku" => Column::Sku,
        "source_id" => Column::SourceId,
        "price" => Column::Price,
        "image_url" => Column::ImageUrl,
        "attributes" => Column::Attributes,
        _ => Column::Metadata,
    }
}

/// Rewrites single-quoted strings as JSON strings: `{'a':'b'}` → `{"a":"b"}`. Double-quoted
/// strings pass through untouched.
fn requote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'') => {
                quote = Some('\'');
                out.push('"');
            }
            (None, '"') => {
                quote = Some('"');
                out.push('"');
            }
            (Some(q), '\\') => match chars.next() {
                Some('\'') if q == '\'' => out.push('\''),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            (Some('\''), '\'') | (Some('"'), '"') => {
                quote = None;
                out.push('"');
            }
            (Some('\''), '"') => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// The attributes cell as an object: JSON, or pseudo-JSON with single quotes.
fn attributes(cell: &str) -> Result<Metadata, String> {
    let parsed = serde_json::from_str::<Value>(cell)
        .or_else(|_| serde_json::from_str::<Value>(&requote(cell)));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!(
            "attributes: must be an object such as {{'color':'blue'}} (actual value is '{cell}')"
        )),
    }
}

pub(crate) struct Mapper {
    columns: Vec<Column>,
}

/// A run of this import.
pub(crate) type Run = csv_import::Run<Mapper>;

#[async_trait]
impl Action for Run {
    type Payload = SkusImportCsv;

    /// Opens the upload and maps its columns.
    async fn start(start: Start<'_>, payload: SkusImportCsv) -> Result<Self, ActionError> {
        let (noun, key) = ("sku", Some("source_id"));
        csv_import::Run::open(start.inputs, start.action, payload.upload, noun, key, mapper).await
    }
}

/// The mapper of a file with `headers`.
pub(crate) fn mapper(headers: &[String]) -> Mapper {
    Mapper { columns: headers.iter().map(|h| column(h)).collect() }
}

impl Mapper {
    fn record(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<SkuRecord, (String, String)> {
        let mut record = SkuRecord::default();
        let (mut price, mut attrs) = (None, None);
        for ((cell, column), header) in cells.into_iter().zip(&self.columns).zip(headers) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::ProductId => record.product = cell,
                Column::Sku => record.sku = Some(cell),
                Column::SourceId => record.source_id = cell,
                Column::Price => price = Some(cell),
                Column::ImageUrl => record.image_url = Some(cell),
                Column::Attributes => attrs = Some(cell),
                Column::Metadata => {
                    record.metadata.insert(header.clone(), Value::String(cell));
                }
            }
        }
        let key = record.source_id.clone();
        let fail = |reason: String| (key.clone(), reason);
        if record.source_id.is_empty() {
            return Err(fail("source_id: property is required".to_owned()));
        }
        if record.product.is_empty() {
            return Err(fail("product_id: property is required".to_owned()));
        }
        record.price =
            price.map(|cell| csv_cells::cents("price", &cell)).transpose().map_err(fail)?;
        if let Some(cell) = attrs {
            record.attributes = attributes(&cell).map_err(fail)?;
        }
        Ok(record)
    }
}

impl RowMapper for Mapper {
    type Write = SkuRecord;

    fn write(&self, headers: &[String], cells: Vec<String>) -> Result<SkuRecord, (String, String)> {
        self.record(headers, cells)
    }

    fn writes(&self, items: Vec<Item<SkuRecord>>) -> ChunkWrites {
        items.into()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attributes_accept_single_or_double_quotes() {
        let expected = json!({"color": "blue", "size": "XS"});
        for cell in [
            "{'color':'blue','size':'XS'}",
            r#"{"color":"blue","size":"XS"}"#,
            r#"{'color': "blue", "size" : 'XS'}"#,
        ] {
            assert_eq!(attributes(cell).map(Value::Object), Ok(expected.clone()), "{cell}");
        }
        assert_eq!(
            attributes(r#"{'name':'Bob\'s "best"','rank':1}"#).map(Value::Object),
            Ok(json!({"name": "Bob's \"best\"", "rank": 1}))
        );
        assert_eq!(attributes("{}").map(|m| m.len()), Ok(0));
        for bad in ["color:blue", "['color']", "{'color':}", "'x'"] {
            assert!(
                attributes(bad).is_err_and(|e| e.starts_with("attributes: must be an object")),
                "{bad}"
            );
        }
    }

    #[test]
    fn standard_columns_match_in_any_case() {
        assert_eq!(column("Product_ID"), Column::ProductId);
        assert_eq!(column("SKU"), Column::Sku);
        assert_eq!(column("color"), Column::Metadata);
    }
}
