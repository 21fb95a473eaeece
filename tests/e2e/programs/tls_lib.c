/* A library with thread-local storage, loaded by dlopen (tls_dlopen.c): its block is not
   in the static TLS area but allocated per thread when the thread first uses it. */
__thread int lib_tls = 5;
__thread double lib_pair[2] = {1.5, 2.5};

int *lib_tls_address(void) { return &lib_tls; }
