//! Customer requests and responses (SPEC.md §4).

use cv_domain::{
    Address, Customer, CustomerPatch, Metadata,
    customer::Field,
    payload::{CustomersBulkUpdate, CustomersMetadataUpdate},
};
use cv_store::CustomerPage;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{
    schema,
    validate::{self, JsonPath},
};
use crate::ApiError;

/// Voucherify's customer object. `summary`, `loyalty` and `referrals` are required by the
/// schema but nullable; Conveyor keeps none of them, so they are `null` (a partial object
/// would fail the Python SDK's strict models).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerResponse {
    id: String,
    source_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    birthdate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birthday: Option<String>,
    address: Option<AddressResponse>,
    #[schema(value_type = Option<Object>)]
    summary: Option<()>,
    #[schema(value_type = Option<Object>)]
    loyalty: Option<()>,
    #[schema(value_type = Option<Object>)]
    referrals: Option<()>,
    #[schema(value_type = Object)]
    metadata: Metadata,
    #[schema(value_type = Object)]
    system_metadata: Map<String, Value>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::customer)]
    object: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
struct AddressResponse {
    city: Option<String>,
    state: Option<String>,
    line_1: Option<String>,
    line_2: Option<String>,
    country: Option<String>,
    postal_code: Option<String>,
}

impl From<Customer> for CustomerResponse {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id.to_string(),
            source_id: c.source_id,
            name: c.name,
            description: c.description,
            email: c.email,
            phone: c.phone,
            birthdate: c.birthdate,
            birthday: c.birthday,
            address: c.address.map(|a| AddressResponse {
                city: a.city,
                state: a.state,
                line_1: a.line_1,
                line_2: a.line_2,
                country: a.country,
                postal_code: a.postal_code,
            }),
            summary: None,
            loyalty: None,
            referrals: None,
            metadata: c.metadata,
            system_metadata: Map::new(),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.map(|t| t.to_string()),
            object: "customer",
        }
    }
}

/// `GET /v1/customers`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::customers)]
    data_ref: &'static str,
    customers: Vec<CustomerResponse>,
    total: u64,
    has_more: bool,
}

impl CustomerList {
    /// The list response for page `page` of size `limit`.
    pub fn new(page: CustomerPage, limit: u32, page_no: u32) -> Self {
        let seen =
            u64::from(page_no.saturating_sub(1)) * u64::from(limit) + page.customers.len() as u64;
        Self {
            object: "list",
            data_ref: "customers",
            has_more: seen < page.total,
            total: page.total,
            customers: page.customers.into_iter().map(CustomerResponse::from).collect(),
        }
    }
}

fn address(obj: &Map<String, Value>, at: &JsonPath) -> Result<Field<Address>, ApiError> {
    let at = at.key("address");
    let Some(value) = obj.get("address") else {
        return Ok(Field::Keep);
    };
    if value.is_null() {
        return Ok(Field::Clear);
    }
    let a = validate::object(value, &at)?;
    let line = |name: &str| -> Result<Option<String>, ApiError> {
        match validate::string_field(a, name, &at)? {
            Field::Set(s) => Ok(Some(s)),
            Field::Keep | Field::Clear => Ok(None),
        }
    };
    Ok(Field::Set(Address {
        city: line("city")?,
        state: line("state")?,
        line_1: line("line_1")?,
        line_2: line("line_2")?,
        country: line("country")?,
        postal_code: line("postal_code")?,
    }))
}

/// A customer patch from a create, update or bulk item body. `source_id` is required when
/// `require_source_id` (bulk items).
pub fn patch(
    value: &Value,
    at: &JsonPath,
    require_source_id: bool,
) -> Result<CustomerPatch, ApiError> {
    let obj = validate::object(value, at)?;
    let source_id = if require_source_id {
        Some(validate::required_string(obj, "source_id", at)?)
    } else {
        match validate::string_field(obj, "source_id", at)? {
            Field::Set(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    };
    Ok(CustomerPatch {
        source_id,
        name: validate::string_field(obj, "name", at)?,
        description: validate::string_field(obj, "description", at)?,
        email: validate::string_field(obj, "email", at)?,
        phone: validate::string_field(obj, "phone", at)?,
        birthdate: validate::string_field(obj, "birthdate", at)?,
        birthday: validate::string_field(obj, "birthday", at)?,
        address: address(obj, at)?,
        metadata: validate::object_field(obj, "metadata", at)?.cloned(),
    })
}

/// `POST /v1/customers/bulk/async`: an array of customers, each with a `source_id`. An empty
/// body is an empty array.
pub fn bulk_update(body: &Value) -> Result<CustomersBulkUpdate, ApiError> {
    let customers = validate::items(body, |item, at| patch(item, at, true))?;
    Ok(CustomersBulkUpdate { customers })
}

/// `POST /v1/customers/metadata/async`: `{source_ids*: [string], metadata*: object}`.
pub fn metadata_update(body: &Value) -> Result<CustomersMetadataUpdate, ApiError> {
    let (source_ids, metadata) = validate::metadata_update(body, "source_ids")?;
    Ok(CustomersMetadataUpdate { source_ids, metadata })
}
