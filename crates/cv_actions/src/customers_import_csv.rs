//! `CUSTOMERS.IMPORT_CSV`: create customers from an uploaded CSV file, replacing the whole
//! profile of those whose `source_id` already exists (`POST /v1/customers/importCSV`).
//!
//! Columns are matched case-insensitively, with or without the `Address_` prefix (both
//! Voucherify's API docs and its template are accepted); every other column becomes a
//! metadata key named exactly like its header.

use async_trait::async_trait;
use cv_domain::{
    Address, CustomerRecord, Timestamp,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::CustomersImportCsv,
};
use cv_engine::ActionError;
use cv_store::{ChunkWrites, Item};

use crate::{
    Action, Start,
    csv_import::{self, RowMapper},
};

/// Where each column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Ignored,
    SourceId,
    Name,
    Description,
    Email,
    Phone,
    Birthdate,
    Line1,
    Line2,
    PostalCode,
    City,
    State,
    Country,
    Metadata,
}

fn column(header: &str) -> Column {
    let lower = header.to_ascii_lowercase();
    let name = lower.strip_prefix("address_").unwrap_or(&lower);
    match name {
        "id" => Column::Ignored,
        "source_id" => Column::SourceId,
        "name" => Column::Name,
        "description" => Column::Description,
        "email" => Column::Email,
        "phone" => Column::Phone,
        "birthdate" | "birthday" => Column::Birthdate,
        "line_1" => Column::Line1,
        "line_2" => Column::Line2,
        "postal_code" => Column::PostalCode,
        "city" => Column::City,
        "state" => Column::State,
        "country" => Column::Country,
        _ => Column::Metadata,
    }
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
    type Payload = CustomersImportCsv;

    /// Opens the upload and maps its columns.
    async fn start(start: Start<'_>, payload: CustomersImportCsv) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Customer).await?;
        let (noun, key) = ("customer", Some("source_id"));
        csv_import::Run::open(start.inputs, start.action, payload.upload, noun, key, |headers| {
            mapper(headers, schema)
        })
        .await
    }
}

/// The mapper of a file with `headers`; without a schema, metadata values are strings.
pub(crate) fn mapper(headers: &[String], schema: Option<MetadataSchema>) -> Mapper {
    let schema = schema.unwrap_or_else(|| MetadataSchema::new(MetadataResource::Customer));
    Mapper { columns: headers.iter().map(|h| column(h)).collect(), schema }
}

impl Mapper {
    fn record(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<CustomerRecord, (String, String)> {
        let mut record = CustomerRecord::default();
        let mut address = Address::default();
        let mut metadata = Vec::new();
        for ((cell, column), header) in cells.into_iter().zip(&self.columns).zip(headers) {
            if cell.is_empty() {
                continue;
            }
            let value = Some(cell.clone());
            match column {
                Column::Ignored => {}
                Column::SourceId => record.source_id = cell,
                Column::Name => record.name = value,
                Column::Description => record.description = value,
                Column::Email => record.email = value,
                Column::Phone => record.phone = value,
                Column::Birthdate => record.birthdate = value,
                Column::Line1 => address.line_1 = value,
                Column::Line2 => address.line_2 = value,
                Column::PostalCode => address.postal_code = value,
                Column::City => address.city = value,
                Column::State => address.state = value,
                Column::Country => address.country = value,
                Column::Metadata => metadata.push((header.clone(), cell)),
            }
        }
        let key = record.source_id.clone();
        if record.source_id.is_empty() {
            return Err((key, "source_id: property is required".to_owned()));
        }
        if let Some(date) = record.birthdate.as_ref().filter(|d| Timestamp::parse_date(d).is_none())
        {
            return Err((
                key,
                format!(
                    "birthdate: must be a date in the format YYYY-MM-DD (actual value is '{date}')"
                ),
            ));
        }
        if address != Address::default() {
            record.address = Some(address);
        }
        record.metadata = self.schema.coerce_csv(&metadata).map_err(|reason| (key, reason))?;
        Ok(record)
    }
}

impl RowMapper for Mapper {
    type Write = CustomerRecord;

    fn write(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<CustomerRecord, (String, String)> {
        self.record(headers, cells)
    }

    fn writes(&self, items: Vec<Item<CustomerRecord>>) -> ChunkWrites {
        items.into()
    }
}
