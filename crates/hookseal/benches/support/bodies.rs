//! The benchmark bodies: ELMED or NovaMed envelopes of an exact size, `records` (`data.items`, an array of small order
//! records: the parser's worst case per byte) or `attachment` (one base64 document). Used by `benches/verify.rs` and by
//! `bench/validators`, so both measure the same bytes.

/// An envelope of exactly `size` bytes.
pub fn body(provider: &str, shape: &str, size: usize) -> Vec<u8> {
    let head = match provider {
        "elmed" => r#"{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00","data":{"order_id":88,"#.to_owned(),
        _ => r#"{"event_type":"order:shipped","event_id":"evt_abc123xyz","timestamp":"2025-01-15T10:30:00.000Z","clinic_id":"550e8400-e29b-41d4-a716-446655440000","data":{"order_id":"ord_12345","#.to_owned(),
    };
    let mut out = head;
    match shape {
        "records" => {
            out.push_str(r#""items":["#);
            let mut i = 0;
            loop {
                let item = format!(
                    r#"{{"sku":"RX-{i:06}","name":"Amoxicillin 500mg","quantity":{},"price":12.50,"dispensed":true}},"#,
                    i % 7 + 1
                );
                if out.len() + item.len() + 4 > size {
                    break;
                }
                out.push_str(&item);
                i += 1;
            }
            if out.ends_with(',') {
                out.pop();
            }
            out.push_str("]}}");
        }
        _ => {
            out.push_str(r#""document":""#);
            let fill = size.saturating_sub(out.len() + 4);
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            out.extend((0..fill).map(|i| alphabet[(i * 7919) % 64] as char));
            out.push_str("\"}}");
        }
    }
    while out.len() < size {
        out.insert(out.len() - 2, ' ');
    }
    assert_eq!(out.len(), size);
    out.into_bytes()
}
