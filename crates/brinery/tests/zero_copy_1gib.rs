//! A 1 GiB `bytes` payload loaded from a slice is borrowed, not copied.
//!
//! The pickle is what `pickle.dumps(b"\0" * 2**30, protocol=5)` writes:
//! PROTO 5, BINBYTES8 with the payload, STOP (CPython writes payloads this
//! large outside any frame). The buffer comes from `vec![0; n]`, which the
//! allocator serves with zeroed pages mapped on first touch, so the test
//! itself only touches the header and trailer pages; a loader that copied
//! the payload would need another full gibibyte (still within ~2 GiB).

use brinery::pickle::{loads, LoadOptions};
use brinery::Value;

const GIB: usize = 1 << 30;

#[test]
fn one_gib_bytes_payload_is_borrowed() {
    // PROTO 5, BINBYTES8 <u64 length>, then the payload, then STOP.
    let mut header = vec![0x80, 5, 0x8e];
    header.extend_from_slice(&(GIB as u64).to_le_bytes());
    let total = header.len() + GIB + 1;

    let mut pickle = vec![0u8; total];
    pickle[..header.len()].copy_from_slice(&header);
    pickle[total - 1] = b'.';
    let payload_start = pickle.as_ptr() as usize + header.len();

    let value = loads(&pickle, &LoadOptions::default()).expect("the pickle loads");
    let Value::Bytes(bytes) = &value else {
        panic!("expected bytes, got {}", value.type_name());
    };

    assert_eq!(bytes.len(), GIB);
    assert!(bytes.is_borrowed(), "the payload was copied, not borrowed");
    // Not only "borrowed" in name: it points at the payload inside the input.
    assert_eq!(bytes.as_slice().as_ptr() as usize, payload_start, "the bytes do not point into the input buffer");
}
