def build_musicoset_catalog(data_dir, out_dir):
    raise NotImplementedError
