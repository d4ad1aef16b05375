//! Product and SKU requests and responses (SPEC.md §4). Prices are integers in cents.

use std::collections::HashMap;

use cv_domain::{
    Metadata, Product, ProductId, ProductPatch, Sku, SkuPatch,
    customer::Field,
    payload::{ProductsBulkUpdate, ProductsMetadataUpdate},
};
use cv_store::{ProductPage, SkuPage};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{
    schema,
    validate::{self, JsonPath},
};
use crate::ApiError;

/// Voucherify's SKU object.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkuResponse {
    id: String,
    source_id: Option<String>,
    product_id: String,
    sku: Option<String>,
    price: Option<i64>,
    currency: Option<String>,
    #[schema(value_type = Object)]
    attributes: Metadata,
    image_url: Option<String>,
    #[schema(value_type = Object)]
    metadata: Metadata,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::sku)]
    object: &'static str,
}

impl From<Sku> for SkuResponse {
    fn from(s: Sku) -> Self {
        Self {
            id: s.id.to_string(),
            source_id: s.source_id,
            product_id: s.product_id.to_string(),
            sku: s.sku,
            price: s.price,
            currency: s.currency,
            attributes: s.attributes,
            image_url: s.image_url,
            metadata: s.metadata,
            created_at: s.created_at.to_string(),
            updated_at: s.updated_at.map(|t| t.to_string()),
            object: "sku",
        }
    }
}

/// The `skus` list inside a product object.
#[derive(Debug, Serialize, ToSchema)]
struct ProductSkus {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::data)]
    data_ref: &'static str,
    data: Vec<SkuResponse>,
    total: u64,
}

/// Voucherify's product object, with its SKUs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResponse {
    id: String,
    source_id: Option<String>,
    name: Option<String>,
    price: Option<i64>,
    attributes: Vec<String>,
    #[schema(value_type = Object)]
    metadata: Metadata,
    image_url: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::product)]
    object: &'static str,
    skus: ProductSkus,
}

impl ProductResponse {
    /// The product with `skus` (some or all of its SKUs) and the count of all its SKUs.
    pub fn new(p: Product, skus: Vec<Sku>, total: u64) -> Self {
        Self {
            id: p.id.to_string(),
            source_id: p.source_id,
            name: p.name,
            price: p.price,
            attributes: p.attributes,
            metadata: p.metadata,
            image_url: p.image_url,
            created_at: p.created_at.to_string(),
            updated_at: p.updated_at.map(|t| t.to_string()),
            object: "product",
            skus: ProductSkus {
                object: "list",
                data_ref: "data",
                data: skus.into_iter().map(SkuResponse::from).collect(),
                total,
            },
        }
    }

    /// The product with one page of its SKUs.
    pub fn with_page(p: Product, page: SkuPage) -> Self {
        Self::new(p, page.skus, page.total)
    }
}

/// `GET /v1/products`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::products)]
    data_ref: &'static str,
    products: Vec<ProductResponse>,
    total: u64,
    has_more: bool,
}

impl ProductList {
    /// The list response for page `page_no` of size `limit`; each product carries its SKUs.
    pub fn new(page: ProductPage, limit: u32, page_no: u32) -> Self {
        let seen =
            u64::from(page_no.saturating_sub(1)) * u64::from(limit) + page.products.len() as u64;
        let mut skus: HashMap<ProductId, Vec<Sku>> = HashMap::new();
        for sku in page.skus {
            skus.entry(sku.product_id.clone()).or_default().push(sku);
        }
        let products = page
            .products
            .into_iter()
            .map(|p| {
                let mine = skus.remove(&p.id).unwrap_or_default();
                let total = mine.len() as u64;
                ProductResponse::new(p, mine, total)
            })
            .collect();
        Self {
            object: "list",
            data_ref: "products",
            products,
            has_more: seen < page.total,
            total: page.total,
        }
    }
}

/// `GET /v1/products/{id}/skus`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkuList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::skus)]
    data_ref: &'static str,
    skus: Vec<SkuResponse>,
    total: u64,
    has_more: bool,
}

impl SkuList {
    /// The list response for page `page_no` of size `limit`.
    pub fn new(page: SkuPage, limit: u32, page_no: u32) -> Self {
        let seen = u64::from(page_no.saturating_sub(1)) * u64::from(limit) + page.skus.len() as u64;
        Self {
            object: "list",
            data_ref: "skus",
            has_more: seen < page.total,
            total: page.total,
            skus: page.skus.into_iter().map(SkuResponse::from).collect(),
        }
    }
}

/// An optional integer property (prices): absent → keep, `null` → clear.
fn integer_field(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Field<i64>, ApiError> {
    match obj.get(name) {
        None => Ok(Field::Keep),
        Some(Value::Null) => Ok(Field::Clear),
        Some(Value::Number(n)) => {
            validate::integer(n).map(Field::Set).ok_or_else(|| at.key(name).should_be("integer"))
        }
        Some(_) => Err(at.key(name).should_be("integer")),
    }
}

/// An optional array of strings (product attributes): `null` is an empty list.
fn string_list(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<Vec<String>>, ApiError> {
    let at = at.key(name);
    match obj.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(value) => validate::array(value, &at)?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| at.index(i).should_be("string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

/// The optional `id` of a create body (Voucherify's upsert by id).
pub fn id_of(value: &Value) -> Option<String> {
    value.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A product patch from a create, update or bulk item body. `source_id` is required when
/// `require_source_id` (bulk items).
pub fn patch(
    value: &Value,
    at: &JsonPath,
    require_source_id: bool,
) -> Result<ProductPatch, ApiError> {
    let obj = validate::object(value, at)?;
    let source_id = if require_source_id {
        Some(validate::required_string(obj, "source_id", at)?)
    } else {
        match validate::string_field(obj, "source_id", at)? {
            Field::Set(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    };
    Ok(ProductPatch {
        source_id,
        name: validate::string_field(obj, "name", at)?,
        price: integer_field(obj, "price", at)?,
        attributes: string_list(obj, "attributes", at)?,
        image_url: validate::string_field(obj, "image_url", at)?,
        metadata: validate::object_field(obj, "metadata", at)?.cloned(),
    })
}

/// A SKU patch from a create-SKU body.
pub fn sku_patch(value: &Value, at: &JsonPath) -> Result<SkuPatch, ApiError> {
    let obj = validate::object(value, at)?;
    let source_id = match validate::string_field(obj, "source_id", at)? {
        Field::Set(s) if !s.is_empty() => Some(s),
        _ => None,
    };
    Ok(SkuPatch {
        source_id,
        sku: validate::string_field(obj, "sku", at)?,
        price: integer_field(obj, "price", at)?,
        currency: validate::string_field(obj, "currency", at)?,
        attributes: validate::object_field(obj, "attributes", at)?.cloned(),
        image_url: validate::string_field(obj, "image_url", at)?,
        metadata: validate::object_field(obj, "metadata", at)?.cloned(),
    })
}

/// `POST /v1/products/bulk/async`: an array of products, each with a `source_id`. An empty
/// body is an empty array.
pub fn bulk_update(body: &Value) -> Result<ProductsBulkUpdate, ApiError> {
    let products = validate::items(body, |item, at| patch(item, at, true))?;
    Ok(ProductsBulkUpdate { products })
}

/// `POST /v1/products/metadata/async`: `{source_ids*: [string], metadata*: object}`.
pub fn metadata_update(body: &Value) -> Result<ProductsMetadataUpdate, ApiError> {
    let (source_ids, metadata) = validate::metadata_update(body, "source_ids")?;
    Ok(ProductsMetadataUpdate { source_ids, metadata })
}
