//! Orders (SPEC.md §4): the order object and list, and the body of `POST /v1/orders/import`
//! (ORDERS.IMPORT).
//!
//! What refuses the whole import (400 `invalid_payload`, nothing stored): a body that is not
//! an array of 1 to `orders_import_limit` objects, an order with more than [`MAX_ITEMS`]
//! items, a property of the wrong JSON type, an unknown `status` or `related_object`, a
//! negative amount or price, a quantity below 1, a date that does not parse, a customer or
//! referrer object with neither `id` nor `source_id`. What fails only its order happens when
//! the import runs (see `cv_actions::orders_import`). Other properties are ignored.

use cv_domain::{
    CustomerPatch, Metadata, Order, OrderRecord, OrderStatus, Timestamp,
    customer::Field,
    order::{
        CustomerRef, ItemProduct, ItemProductRecord, ItemSku, ItemSkuRecord, OrderItem,
        OrderItemRecord, RelatedObject,
    },
    payload::OrdersImport,
};
use cv_store::OrderPage;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{
    customer, schema,
    validate::{self, JsonPath},
};
use crate::ApiError;

/// Voucherify's limit on the items of one order.
pub const MAX_ITEMS: usize = 500;

/// `{id, object: "customer"}`, the customer and referrer inside an order.
#[derive(Debug, Serialize, ToSchema)]
struct IdObject {
    id: String,
    #[schema(schema_with = schema::customer)]
    object: &'static str,
}

/// The product snapshot of an order item; absent fields are left out, as Voucherify does.
#[derive(Debug, Serialize, ToSchema)]
struct ItemProductResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Metadata>,
}

/// The SKU snapshot of an order item; absent fields are left out.
#[derive(Debug, Serialize, ToSchema)]
struct ItemSkuResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Metadata>,
}

/// Voucherify's order item object.
#[derive(Debug, Serialize, ToSchema)]
struct OrderItemResponse {
    #[schema(schema_with = schema::order_item)]
    object: &'static str,
    sku_id: Option<String>,
    product_id: Option<String>,
    #[schema(value_type = Option<schema::ItemRelatedObjectName>)]
    related_object: Option<&'static str>,
    source_id: Option<String>,
    quantity: Option<i64>,
    discount_quantity: Option<i64>,
    initial_quantity: Option<i64>,
    amount: Option<i64>,
    discount_amount: Option<i64>,
    initial_amount: Option<i64>,
    price: Option<i64>,
    subtotal_amount: Option<i64>,
    product: Option<ItemProductResponse>,
    sku: Option<ItemSkuResponse>,
    #[schema(value_type = Object)]
    metadata: Metadata,
}

impl From<ItemProduct> for ItemProductResponse {
    fn from(p: ItemProduct) -> Self {
        Self {
            id: p.id.map(|id| id.to_string()),
            source_id: p.source_id,
            name: p.name,
            price: p.price,
            metadata: p.metadata,
        }
    }
}

impl From<ItemSku> for ItemSkuResponse {
    fn from(s: ItemSku) -> Self {
        Self {
            id: s.id.map(|id| id.to_string()),
            source_id: s.source_id,
            sku: s.sku,
            price: s.price,
            metadata: s.metadata,
        }
    }
}

impl From<OrderItem> for OrderItemResponse {
    fn from(i: OrderItem) -> Self {
        Self {
            object: "order_item",
            sku_id: i.sku_id.map(|id| id.to_string()),
            product_id: i.product_id.map(|id| id.to_string()),
            related_object: i.related_object.map(RelatedObject::as_str),
            source_id: i.source_id,
            quantity: i.quantity,
            discount_quantity: i.discount_quantity,
            initial_quantity: i.initial_quantity,
            amount: i.amount,
            discount_amount: i.discount_amount,
            initial_amount: i.initial_amount,
            price: i.price,
            subtotal_amount: i.subtotal_amount,
            product: i.product.map(ItemProductResponse::from),
            sku: i.sku.map(ItemSkuResponse::from),
            metadata: i.metadata,
        }
    }
}

/// Voucherify's order object. This server has no redemptions, so `redemptions` is empty.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderResponse {
    id: String,
    source_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(value_type = schema::OrderStatusName)]
    status: &'static str,
    amount: Option<i64>,
    initial_amount: Option<i64>,
    discount_amount: Option<i64>,
    items_discount_amount: i64,
    total_discount_amount: i64,
    total_amount: Option<i64>,
    items: Vec<OrderItemResponse>,
    #[schema(value_type = Object)]
    metadata: Metadata,
    customer: Option<IdObject>,
    customer_id: Option<String>,
    referrer: Option<IdObject>,
    referrer_id: Option<String>,
    #[schema(schema_with = schema::order)]
    object: &'static str,
    #[schema(value_type = Object)]
    redemptions: Map<String, Value>,
}

fn customer_object(id: &Option<cv_domain::CustomerId>) -> Option<IdObject> {
    id.as_ref().map(|id| IdObject { id: id.to_string(), object: "customer" })
}

impl From<Order> for OrderResponse {
    fn from(o: Order) -> Self {
        Self {
            id: o.id.to_string(),
            source_id: o.source_id,
            created_at: o.created_at.to_string(),
            updated_at: o.updated_at.map(|t| t.to_string()),
            status: o.status.as_str(),
            amount: o.amount,
            initial_amount: o.initial_amount,
            discount_amount: o.discount_amount,
            items_discount_amount: o.items_discount_amount,
            total_discount_amount: o.total_discount_amount,
            total_amount: o.total_amount,
            items: o.items.into_iter().map(OrderItemResponse::from).collect(),
            metadata: o.metadata,
            customer: customer_object(&o.customer_id),
            customer_id: o.customer_id.map(|id| id.to_string()),
            referrer: customer_object(&o.referrer_id),
            referrer_id: o.referrer_id.map(|id| id.to_string()),
            object: "order",
            redemptions: Map::new(),
        }
    }
}

/// `GET /v1/orders`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::orders)]
    data_ref: &'static str,
    orders: Vec<OrderResponse>,
    total: u64,
}

impl From<OrderPage> for OrderList {
    fn from(page: OrderPage) -> Self {
        Self {
            object: "list",
            data_ref: "orders",
            orders: page.orders.into_iter().map(OrderResponse::from).collect(),
            total: page.total,
        }
    }
}

/// An optional string property; `null` and `""` count as absent.
fn text(obj: &Map<String, Value>, name: &str, at: &JsonPath) -> Result<Option<String>, ApiError> {
    Ok(match validate::string_field(obj, name, at)? {
        Field::Set(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

/// An optional integer property of at least `min` (`null` counts as absent).
fn integer(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
    min: i64,
) -> Result<Option<i64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match validate::integer(n) {
            Some(v) if v < min => Err(at.key(name).invalid(&format!("cannot be lower than {min}"))),
            Some(v) => Ok(Some(v)),
            None => Err(at.key(name).should_be("integer")),
        },
        Some(_) => Err(at.key(name).should_be("integer")),
    }
}

fn metadata(obj: &Map<String, Value>, at: &JsonPath) -> Result<Option<Metadata>, ApiError> {
    Ok(validate::object_field(obj, "metadata", at)?.cloned())
}

/// A customer or referrer object; `id` is a top-level `customer_id`/`referrer_id` when the
/// object gives none.
fn customer_ref(
    obj: &Map<String, Value>,
    name: &str,
    id: Option<String>,
    at: &JsonPath,
) -> Result<Option<CustomerRef>, ApiError> {
    let Some(given) = validate::object_field(obj, name, at)? else {
        return Ok(id.map(|id| CustomerRef { id: Some(id), patch: CustomerPatch::default() }));
    };
    let c_at = at.key(name);
    let patch = customer::patch(&Value::Object(given.clone()), &c_at, false)?;
    for (field, value) in [("birthdate", &patch.birthdate), ("birthday", &patch.birthday)] {
        if let Field::Set(date) = value
            && Timestamp::parse_date(date).is_none()
        {
            return Err(c_at.key(field).invalid("should match format \"date\""));
        }
    }
    let id = text(given, "id", &c_at)?.or(id);
    if id.is_none() && patch.source_id.is_none() {
        return Err(c_at.invalid("should have required property 'id' or 'source_id'"));
    }
    Ok(Some(CustomerRef { id, patch }))
}

fn item_product(
    obj: &Map<String, Value>,
    at: &JsonPath,
) -> Result<Option<ItemProductRecord>, ApiError> {
    let Some(p) = validate::object_field(obj, "product", at)? else {
        return Ok(None);
    };
    let at = at.key("product");
    Ok(Some(ItemProductRecord {
        id: text(p, "id", &at)?,
        source_id: text(p, "source_id", &at)?,
        name: text(p, "name", &at)?,
        price: integer(p, "price", &at, 0)?,
        metadata: metadata(p, &at)?,
    }))
}

fn item_sku(obj: &Map<String, Value>, at: &JsonPath) -> Result<Option<ItemSkuRecord>, ApiError> {
    let Some(s) = validate::object_field(obj, "sku", at)? else {
        return Ok(None);
    };
    let at = at.key("sku");
    Ok(Some(ItemSkuRecord {
        id: text(s, "id", &at)?,
        source_id: text(s, "source_id", &at)?,
        sku: text(s, "sku", &at)?,
        price: integer(s, "price", &at, 0)?,
        metadata: metadata(s, &at)?,
    }))
}

fn item(value: &Value, at: &JsonPath) -> Result<OrderItemRecord, ApiError> {
    let obj = validate::object(value, at)?;
    let related_object = text(obj, "related_object", at)?
        .map(|text| {
            RelatedObject::parse(&text).ok_or_else(|| {
                at.key("related_object")
                    .invalid("should be equal to one of the allowed values: product, sku")
            })
        })
        .transpose()?;
    Ok(OrderItemRecord {
        sku_id: text(obj, "sku_id", at)?,
        product_id: text(obj, "product_id", at)?,
        related_object,
        source_id: text(obj, "source_id", at)?,
        quantity: integer(obj, "quantity", at, 1)?,
        discount_quantity: integer(obj, "discount_quantity", at, 0)?,
        initial_quantity: integer(obj, "initial_quantity", at, 1)?,
        amount: integer(obj, "amount", at, 0)?,
        discount_amount: integer(obj, "discount_amount", at, 0)?,
        initial_amount: integer(obj, "initial_amount", at, 0)?,
        price: integer(obj, "price", at, 0)?,
        product: item_product(obj, at)?,
        sku: item_sku(obj, at)?,
        metadata: metadata(obj, at)?.unwrap_or_default(),
    })
}

fn order(value: &Value, at: &JsonPath) -> Result<OrderRecord, ApiError> {
    let obj = validate::object(value, at)?;
    let status = text(obj, "status", at)?
        .map(|text| {
            OrderStatus::parse(&text).ok_or_else(|| {
                at.key("status").invalid(
                    "should be equal to one of the allowed values: CREATED, PAID, CANCELED, \
                     FULFILLED",
                )
            })
        })
        .transpose()?;
    let created_at = text(obj, "created_at", at)?
        .map(|text| {
            Timestamp::parse(&text)
                .map_err(|_| at.key("created_at").invalid("should match format \"date-time\""))
        })
        .transpose()?;
    let items_at = at.key("items");
    let items = match obj.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => {
            let list = validate::array(value, &items_at)?;
            if list.len() > MAX_ITEMS {
                return Err(
                    items_at.invalid(&format!("should NOT have more than {MAX_ITEMS} items"))
                );
            }
            list.iter()
                .enumerate()
                .map(|(i, v)| item(v, &items_at.index(i)))
                .collect::<Result<_, _>>()?
        }
    };
    let customer_id = text(obj, "customer_id", at)?;
    let referrer_id = text(obj, "referrer_id", at)?;
    Ok(OrderRecord {
        id: text(obj, "id", at)?,
        source_id: text(obj, "source_id", at)?,
        status,
        amount: integer(obj, "amount", at, 0)?,
        initial_amount: integer(obj, "initial_amount", at, 0)?,
        discount_amount: integer(obj, "discount_amount", at, 0)?,
        items,
        metadata: metadata(obj, at)?.unwrap_or_default(),
        created_at,
        customer: customer_ref(obj, "customer", customer_id, at)?,
        referrer: customer_ref(obj, "referrer", referrer_id, at)?,
    })
}

/// `POST /v1/orders/import`: an array of 1 to `max_orders` orders, as the action's payload.
pub fn import(body: &Value, max_orders: usize) -> Result<OrdersImport, ApiError> {
    let root = JsonPath::root();
    let list = if body.is_null() { &Vec::new() } else { validate::array(body, &root)? };
    if list.is_empty() {
        return Err(root.invalid("should NOT have fewer than 1 items"));
    }
    if list.len() > max_orders {
        return Err(root.invalid(&format!("should NOT have more than {max_orders} items")));
    }
    let orders =
        list.iter().enumerate().map(|(i, v)| order(v, &root.index(i))).collect::<Result<_, _>>()?;
    Ok(OrdersImport { orders })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(body: Value) -> OrderRecord {
        import(&body, 10).expect("valid").orders.remove(0)
    }

    #[test]
    fn customers_are_named_by_id_before_source_id() {
        let order = one(json!([{
            "source_id": "", "customer_id": "cust_top",
            "customer": {"source_id": "ann", "name": "Ann", "metadata": {"a": 1}},
            "referrer_id": "cust_ref"
        }]));
        assert_eq!(order.source_id, None, "an empty source_id is none");
        let customer = order.customer.expect("customer");
        assert_eq!(customer.id.as_deref(), Some("cust_top"));
        assert_eq!(customer.patch.name, Field::Set("Ann".to_owned()));
        assert_eq!(customer.patch.metadata, json!({"a": 1}).as_object().cloned());
        let referrer = order.referrer.expect("referrer");
        assert_eq!((referrer.id.as_deref(), referrer.patch.source_id), (Some("cust_ref"), None));
        let order = one(json!([{"customer": {"id": "cust_1", "source_id": "ignored"}}]));
        assert_eq!(order.customer.and_then(|c| c.id).as_deref(), Some("cust_1"));
        assert!(one(json!([{}])).customer.is_none());
    }

    #[test]
    fn items_keep_what_they_give() {
        let order = one(json!([{
            "status": "FULFILLED", "created_at": "2022-01-01", "metadata": {"m": true},
            "items": [{
                "source_id": "c1", "related_object": "sku", "quantity": 2, "discount_quantity": 0,
                "product": {"source_id": "books", "name": "Books", "price": 100, "override": true},
                "sku": {"sku": "C1", "price": 90, "metadata": {"k": "v"}}, "metadata": {"gift": true}
            }]
        }]));
        assert_eq!(order.status, Some(OrderStatus::Fulfilled));
        assert_eq!(order.created_at, Timestamp::parse("2022-01-01T00:00:00Z").ok());
        let item = &order.items[0];
        assert_eq!(
            (item.related_object, item.quantity, item.discount_quantity),
            (Some(RelatedObject::Sku), Some(2), Some(0))
        );
        assert_eq!(item.product.as_ref().and_then(|p| p.price), Some(100));
        assert_eq!(item.sku.as_ref().and_then(|s| s.sku.clone()).as_deref(), Some("C1"));
        assert_eq!(item.metadata, json!({"gift": true}).as_object().cloned().unwrap_or_default());
    }

    #[test]
    fn the_order_limit_is_configuration() {
        let three = json!([{}, {}, {}]);
        assert!(import(&three, 3).is_ok());
        let err = import(&three, 2).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid payload: Payload should NOT have more than 2 items")
        );
    }
}
