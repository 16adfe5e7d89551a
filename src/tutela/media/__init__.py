"""Safe opening of media: walking folders and archives, sniffing formats, decoding with limits."""
