#ifndef ONERING_CCURL_SHIM_H
#define ONERING_CCURL_SHIM_H

// libcurl from Debian's libcurl4-openssl-dev. curl_easy_setopt and
// curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper
// per argument type.
#include <curl/curl.h>

typedef size_t (*onering_curl_data_fn)(char *data, size_t size, size_t count, void *context);

static inline CURLcode onering_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}

static inline CURLcode onering_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}

static inline CURLcode onering_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}

static inline CURLcode onering_curl_set_function(CURL *curl, CURLoption option, onering_curl_data_fn function) {
    return curl_easy_setopt(curl, option, function);
}

typedef int (*onering_curl_progress_fn)(void *context, curl_off_t downloadTotal, curl_off_t downloaded,
                                        curl_off_t uploadTotal, curl_off_t uploaded);

static inline CURLcode onering_curl_set_progress_function(CURL *curl, onering_curl_progress_fn function) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, function);
}

static inline CURLcode onering_curl_response_code(CURL *curl, long *code) {
    return curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
}

#endif
