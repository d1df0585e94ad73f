//! The render benchmark again, with the zeroizing global allocator the binary uses (src/main.rs): the two
//! side by side say what wiping every freed block costs a frame (issue 17 item 5: adopted at 3% or less).
//! `cargo bench --bench render --bench render_zeroizing`.

#[global_allocator]
static ALLOCATOR: secmem_alloc::zeroizing_alloc::ZeroizeAlloc<std::alloc::System> =
    secmem_alloc::zeroizing_alloc::ZeroizeAlloc::new(std::alloc::System);

include!("render.rs");
