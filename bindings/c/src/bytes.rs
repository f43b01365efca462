//! `hookseal_bytes`: a buffer hookseal allocated and hands over (the event as JSON, signed headers as JSON).

/// Bytes owned by hookseal. Read them with `hookseal_bytes_data` / `hookseal_bytes_len`; release them with
/// `hookseal_bytes_free`, exactly once.
pub struct hookseal_bytes {
    data: Box<[u8]>,
}

impl hookseal_bytes {
    pub(crate) fn boxed(text: String) -> *mut hookseal_bytes {
        Box::into_raw(Box::new(hookseal_bytes { data: text.into_bytes().into_boxed_slice() }))
    }
}

/// The first byte of `bytes` (NULL if `bytes` is NULL). Valid until `hookseal_bytes_free(bytes)`.
///
/// # Safety
/// `bytes` must be NULL or a pointer hookseal returned and that was not freed.
#[no_mangle]
pub unsafe extern "C" fn hookseal_bytes_data(bytes: *const hookseal_bytes) -> *const u8 {
    // SAFETY: NULL or a live `hookseal_bytes` (the caller's promise).
    match unsafe { bytes.as_ref() } {
        Some(bytes) => bytes.data.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The number of bytes in `bytes` (0 if `bytes` is NULL).
///
/// # Safety
/// `bytes` must be NULL or a pointer hookseal returned and that was not freed.
#[no_mangle]
pub unsafe extern "C" fn hookseal_bytes_len(bytes: *const hookseal_bytes) -> usize {
    // SAFETY: NULL or a live `hookseal_bytes` (the caller's promise).
    unsafe { bytes.as_ref() }.map_or(0, |bytes| bytes.data.len())
}

/// Releases `bytes`. NULL is a no-op.
///
/// # Safety
/// `bytes` must be NULL or a pointer hookseal returned and that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn hookseal_bytes_free(bytes: *mut hookseal_bytes) {
    if !bytes.is_null() {
        // SAFETY: allocated by `Box::into_raw` in `boxed`, freed once (the caller's promise).
        let _ = std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(bytes) }));
    }
}
