#[unsafe(no_mangle)]
pub extern "C" fn probe() -> u32 {
    let schema = tantivy::schema::Schema::builder().build();
    schema.fields().count() as u32
}

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn random_fill(ptr: *mut u8, len: usize);
}

/// getrandom's custom backend (see .cargo/config.toml).
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(dest: *mut u8, len: usize) -> Result<(), getrandom::Error> {
    unsafe { random_fill(dest, len) };
    Ok(())
}
