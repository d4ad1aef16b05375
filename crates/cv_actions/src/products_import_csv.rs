//! `PRODUCTS.IMPORT_CSV`: create products from an uploaded CSV file; for a `source_id` that
//! already exists only the name changes (`POST /v1/products/importCSV`).
//!
//! Columns `name, source_id, price, attributes, image_url` are matched case-insensitively;
//! every other column becomes a metadata key named exactly like its header, typed through the
//! project's product metadata schema. `name` is required; `price` is in major units (`14.5`
//! is stored as 1450); `attributes` is a comma-separated list (`"color,size"`).

use async_trait::async_trait;
use cv_domain::{
    ProductRecord,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::ProductsImportCsv,
};
use cv_engine::ActionError;
use cv_store::{ChunkWrites, Item};

use crate::{
    Action, Start, csv_cells,
    csv_import::{self, RowMapper},
};

/// Where each column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    SourceId,
    Price,
    Attributes,
    ImageUrl,
    Metadata,
}

fn column(header: &str) -> Column {
    match header.to_ascii_lowercase().as_str() {
        "name" => Column::Name,
        "source_id" => Column::SourceId,
        "price" => Column::Price,
        "attributes" => Column::Attributes,
        "image_url" => Column::ImageUrl,
        _ => Column::Metadata,
    }
}

/// `"color, size,,ranking"` → `["color", "size", "ranking"]`, without repeats.
fn attributes(cell: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in cell.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

pub(crate) struct Mapper {
    columns: Vec<Column>,
    /// Types the metadata columns; without one, metadata values are strings.
    schema: MetadataSchema,
}

/// A run of this import.
pub(crate) type Run = csv_import::Run<Mapper>;

#[async_trait]
impl Action for Run {
    type Payload = ProductsImportCsv;

    /// Opens the upload and maps its columns.
    async fn start(start: Start<'_>, payload: ProductsImportCsv) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Product).await?;
        let (noun, key) = ("product", Some("source_id"));
        csv_import::Run::open(start.inputs, start.action, payload.upload, noun, key, |headers| {
            mapper(headers, schema)
        })
        .await
    }
}

/// The mapper of a file with `headers`; without a schema, metadata values are strings.
pub(crate) fn mapper(headers: &[String], schema: Option<MetadataSchema>) -> Mapper {
    let schema = schema.unwrap_or_else(|| MetadataSchema::new(MetadataResource::Product));
    Mapper { columns: headers.iter().map(|h| column(h)).collect(), schema }
}

impl Mapper {
    fn record(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<ProductRecord, (String, String)> {
        let mut record = ProductRecord::default();
        let (mut name, mut price) = (None, None);
        let mut metadata = Vec::new();
        for ((cell, column), header) in cells.into_iter().zip(&self.columns).zip(headers) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::Name => name = Some(cell),
                Column::SourceId => record.source_id = Some(cell),
                Column::Price => price = Some(cell),
                Column::Attributes => record.attributes = attributes(&cell),
                Column::ImageUrl => record.image_url = Some(cell),
                Column::Metadata => metadata.push((header.clone(), cell)),
            }
        }
        let key = record.source_id.clone().unwrap_or_default();
        let Some(name) = name else {
            return Err((key, "name: property is required".to_owned()));
        };
        record.name = name;
        record.price = price
            .map(|cell| csv_cells::cents("price", &cell))
            .transpose()
            .map_err(|r| (key.clone(), r))?;
        record.metadata = self.schema.coerce_csv(&metadata).map_err(|reason| (key, reason))?;
        Ok(record)
    }
}

impl RowMapper for Mapper {
    type Write = ProductRecord;

    fn write(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<ProductRecord, (String, String)> {
        self.record(headers, cells)
    }

    fn writes(&self, items: Vec<Item<ProductRecord>>) -> ChunkWrites {
        items.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_columns_match_in_any_case_and_the_rest_is_metadata() {
        assert_eq!(column("NAME"), Column::Name);
        assert_eq!(column("Source_Id"), Column::SourceId);
        assert_eq!(column("image_url"), Column::ImageUrl);
        assert_eq!(column("vendor"), Column::Metadata);
        assert_eq!(attributes(" color, size,,color ,ranking"), vec!["color", "size", "ranking"]);
    }
}
