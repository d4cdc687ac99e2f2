"""Photos for the newsroom: upload, resized variants, storage, the library page and markup."""
