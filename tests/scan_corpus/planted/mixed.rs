fn check_pаssword(p: &str) -> bool { p.len() > 8 }
