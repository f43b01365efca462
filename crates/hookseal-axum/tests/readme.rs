//! The README's axum block is this crate's: the repository README marks it `rust,ignore` (the core compiles that
//! README's Rust blocks as its doctests, without axum), and this crate's README, whose blocks are this crate's
//! doctests (src/lib.rs includes it), must open with the very same code, so what the README shows is compiled and run.

fn rust_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```rust") {
            let code: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            blocks.push((info.to_owned(), code.join("\n")));
        }
    }
    blocks
}

#[test]
fn the_readmes_axum_block_is_this_crates_compiled_doctest() {
    let root = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = root.find("<!-- framework: axum -->").expect("the README's axum marker");
    let section = &root[start..];
    let section = &section[..section[1..].find("\n<!-- framework: ").map_or(section.len(), |end| end + 1)];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let blocks = rust_blocks(section);
    assert_eq!(blocks.len(), 1, "the README's axum section has one Rust block: {section}");
    let (info, code) = &blocks[0];
    assert_eq!(info, ",ignore", "the core's doctests cannot compile it: the README marks it ignore");
    let (our_info, our_code) = &rust_blocks(&ours)[0];
    assert_eq!(our_info, "", "this crate's README block is a doctest that runs");
    assert_eq!(code, our_code, "README.md's axum block differs from crates/hookseal-axum/README.md's first block");
}
