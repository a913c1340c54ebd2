fn status(tag: &str) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let get = |k: &str| s.lines().find(|l| l.starts_with(k)).unwrap_or("").to_string();
    eprintln!("{tag}: {} {}", get("VmRSS"), get("VmHWM"));
}
fn main() {
    status("start");
    let t = std::time::Instant::now();
    let store = jiedai::storage::Store::open(std::path::Path::new("/tmp/bd")).unwrap();
    status(&format!("open {:?}", t.elapsed()));
    let t = std::time::Instant::now();
    let rows = store.catalog_rows().unwrap();
    status(&format!("rows {} {:?}", rows.len(), t.elapsed()));
    let text: usize = rows.iter().map(|r| r.text.len()).sum();
    let chars: usize = rows.iter().map(|r| r.text.chars().count()).sum();
    eprintln!("text bytes {} chars {}", text, chars);
    drop(rows);
    status("dropped");
    unsafe extern "C" { fn malloc_trim(pad: usize) -> i32; }
    unsafe { malloc_trim(0); }
    status("trimmed");
    drop(store);
    unsafe { malloc_trim(0); }
    status("store dropped");
}
