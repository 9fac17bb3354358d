//! The MLP denoiser: patches, noise, PSNR, training and plaintext references.
