//! placeholder
pub mod torch_import;
