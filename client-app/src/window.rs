//! The window (being written: see the window issue).

use crate::Args;

/// Opens the window.
pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("the window is not built yet; use --headless")
}
