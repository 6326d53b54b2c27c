//! The pretend order system behind the demo tenant's "查询订单" flow: kefu serves
//! `GET /demo/api/orders/{no}` itself, so the demo's HTTP node has something real to
//! call without any outside service.

use serde_json::{json, Value};

/// `(order number, status, estimated delivery, carrier)`.
pub const ORDERS: &[(&str, &str, &str, &str)] = &[
    ("20260001", "已发货", "2026-11-23", "顺丰速运"),
    ("20260002", "配送中", "2026-11-21", "京东物流"),
    ("20260003", "已签收", "2026-11-18", "中通快递"),
];

/// The order's JSON, or `None` (the endpoint answers 404).
pub fn lookup(no: &str) -> Option<Value> {
    ORDERS
        .iter()
        .find(|o| o.0 == no.trim())
        .map(|(no, status, eta, carrier)| {
            json!({"order_no": no, "status": status, "eta": eta, "carrier": carrier})
        })
}
