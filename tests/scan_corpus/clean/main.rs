fn main() {
    let password = std::env::var("PASSWORD");
    println!("{password:?}");
}
