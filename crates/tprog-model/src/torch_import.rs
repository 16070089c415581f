//! Reads PyTorch `.pt` checkpoints (written by another helper).
