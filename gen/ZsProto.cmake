# zs_proto_library(NAME PROTO): one line turns a .proto into libraries.
#   NAME         object library of the protobuf-c message types, and the comments of
#                their fields (<base>.zsd.c, for reflection)
#   NAME_client  object library of the typed client calls (goes into libzsclient)
#   NAME_bus     object library of the typed in-process bus calls (for services)
# PROTO is relative to proto/ (or to PROTO_DIR dir, for test protos). Generated files
# go to ${ZS_GEN_DIR}, never into git.
function(zs_proto_library name proto)
  cmake_parse_arguments(ZP "" "PROTO_DIR" "" ${ARGN})
  if(NOT ZP_PROTO_DIR)
    set(ZP_PROTO_DIR "${ZS_PROTO_DIR}")
  endif()
  string(REGEX REPLACE "\\.proto$" "" base "${proto}")
  set(out "${ZS_GEN_DIR}")
  set(gen
    "${out}/${base}.pb-c.c" "${out}/${base}.pb-c.h"
    "${out}/${base}.zsc.c" "${out}/${base}.zsc.h"
    "${out}/${base}.zsb.c" "${out}/${base}.zsb.h" "${out}/${base}.zsd.c")
  add_custom_command(
    OUTPUT ${gen} "${out}/${base}.desc"
    COMMAND protoc-c -I "${ZP_PROTO_DIR}" -I "${ZS_WKT_DIR}" --c_out "${out}"
            --include_source_info --descriptor_set_out "${out}/${base}.desc" "${proto}"
    COMMAND zs-gen "${out}/${base}.desc" "${out}"
    DEPENDS "${ZP_PROTO_DIR}/${proto}" zs-gen
    WORKING_DIRECTORY "${ZP_PROTO_DIR}"
    COMMENT "Generating C for ${proto}")

  add_library(${name} OBJECT "${out}/${base}.pb-c.c" "${out}/${base}.zsd.c")
  target_include_directories(${name} PUBLIC "${out}")
  target_link_libraries(${name} PUBLIC PkgConfig::PROTOBUF_C)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # protoc-c's initializers for a oneof whose first member is bytes lack inner braces
  target_compile_options(${name} PRIVATE -Wno-missing-braces)

  add_library(${name}_client OBJECT "${out}/${base}.zsc.c")
  target_link_libraries(${name}_client PUBLIC ${name} zs_client_headers)
  set_target_properties(${name}_client PROPERTIES POSITION_INDEPENDENT_CODE ON)

  add_library(${name}_bus OBJECT "${out}/${base}.zsb.c")
  target_link_libraries(${name}_bus PUBLIC ${name} zs_server_headers)
  set_target_properties(${name}_bus PROPERTIES POSITION_INDEPENDENT_CODE ON)

  # every .proto may import google/protobuf/timestamp.proto: its header comes first
  if(TARGET zs_timestamp_proto AND NOT name STREQUAL "zs_timestamp_proto")
    add_dependencies(${name} zs_timestamp_proto)
  endif()
  set_property(GLOBAL APPEND PROPERTY ZS_PROTO_LIBRARIES ${name})
endfunction()
