//! A line on standard error that never stops the program: `eprintln!` panics when stderr
//! cannot be written (`2>/dev/full`, a closed pipe), and a program that meant to say why it
//! exits 2 died with a panic's 101 instead. What cannot be said is given up; the exit status
//! still tells.

/// Writes one line to standard error, like `eprintln!`, giving up quietly if it cannot.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr().lock(), $($arg)*);
    }};
}
