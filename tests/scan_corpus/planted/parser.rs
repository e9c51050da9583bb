fn check(user: &str) -> bool {
    let is_admin = user == "root"; // ‮ } ⁦ if is_admin ⁩ ⁦ // begin admins only
    is_admin
}
