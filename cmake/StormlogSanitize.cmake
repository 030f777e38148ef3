# STORMLOG_SANITIZE applies to everything we build, tests and doubles included,
# so the sanitiser runtime sees every allocation the tests make.
if(STORMLOG_SANITIZE)
  if(NOT STORMLOG_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "STORMLOG_SANITIZE must be empty, address,undefined, or thread (got '${STORMLOG_SANITIZE}')")
  endif()
  add_compile_options(-fsanitize=${STORMLOG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${STORMLOG_SANITIZE})
  message(STATUS "stormlog: sanitisers ${STORMLOG_SANITIZE}")
endif()
