"""cxgap's tests. Two workers share two cores: each gets one thread for OpenMP, BLAS and torch (set here, before
the conftest imports any of them), or their thread pools oversubscribe the cores and a model fit takes many
times as long."""

import os

for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")
