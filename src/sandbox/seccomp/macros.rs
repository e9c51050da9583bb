//! The deny list's vocabulary: `deny!(name, when, errno, why)` makes a
//! [`super::DenyEntry`], its number taken from [`crate::sys::syscalls`].

macro_rules! deny {
    ($name:ident, $when:expr, $errno:ident, $why:expr) => {
        DenyEntry {
            name: stringify!($name),
            number: crate::sys::syscalls::number::$name,
            when: $when,
            errno: libc::$errno,
            why: $why,
        }
    };
}
