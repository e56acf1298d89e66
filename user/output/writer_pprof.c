/* pprof output (`go tool pprof`, Pyroscope, Grafana): a gzip-compressed perftools.profiles.Profile protobuf. */
#include <errno.h>
#include <math.h> /* isfinite, a macro */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "python_frame_name.h"
#include "hashmap.h"
#include "protobuf_encoder.h"
#include "utf8.h"
#include "writer_pprof.h"

/* Field numbers from google/pprof's proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_LINE = 4,
	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* The tables built while the frames are encoded; string_table and the messages are appended to as they are met. */
struct pprof_builder {
	struct pf_hashmap strings; /* string -> index + 1 */
	uint64_t nstrings;
	struct pf_hashmap functions; /* (name index, file index) -> function id */
	uint64_t nfunctions;
	struct pb_buf string_table, locations, functions_buf;
	struct pb_buf msg, line; /* scratch for one message */
};

/* The string's index in string_table, adding it on first use; -ENOMEM on failure. Protobuf strings must be UTF-8
 * and names come from the target (native symbols, thread names): a byte that is not UTF-8 is stored as U+FFFD. */
static int64_t intern(struct pprof_builder *b, const char *s, size_t len)
{
	char *valid = NULL;
	void *hit;
	int64_t idx = -ENOMEM;

	if (!utf8__valid(s, len)) {
		valid = utf8__sanitize(s, len, &len);
		if (!valid)
			return -ENOMEM;
		s = valid;
	}
	hit = pf_hashmap__get(&b->strings, s, len);
	if (hit) {
		idx = (int64_t)(uintptr_t)hit - 1;
	} else if (!pf_hashmap__set(&b->strings, s, len, (void *)(uintptr_t)(b->nstrings + 1)) &&
		   !pb_buf__put_bytes(&b->string_table, PROFILE_STRING_TABLE, s, len)) {
		idx = (int64_t)b->nstrings++;
	}
	free(valid);
	return idx;
}

/* The function id of (name, file), encoding a Function message on first use; -ENOMEM on failure. */
static int64_t function_id(struct pprof_builder *b, const char *name, size_t name_len, const char *file,
			   size_t file_len, int native)
{
	int64_t name_idx = intern(b, name, name_len), file_idx = intern(b, file, file_len);
	uint64_t key[2] = { (uint64_t)name_idx, (uint64_t)file_idx };
	void *hit;

	if (name_idx < 0 || file_idx < 0)
		return -ENOMEM;
	hit = pf_hashmap__get(&b->functions, key, sizeof(key));
	if (hit)
		return (int64_t)(uintptr_t)hit;
	if (pf_hashmap__set(&b->functions, key, sizeof(key), (void *)(uintptr_t)(b->nfunctions + 1)))
		return -ENOMEM;
	b->nfunctions++;
	pb_buf__reset(&b->msg);
	pb_buf__put_uint(&b->msg, FUNCTION_ID, b->nfunctions);
	pb_buf__put_int(&b->msg, FUNCTION_NAME, name_idx);
	/* Only native symbols may be mangled (C++). pprof demangles any function whose system_name equals its name
	 * and strips `<...>` from names it takes for demangled C++, which turns Python's `<module>` into "". */
	if (native)
		pb_buf__put_int(&b->msg, FUNCTION_SYSTEM_NAME, name_idx);
	if (file_idx)
		pb_buf__put_int(&b->msg, FUNCTION_FILENAME, file_idx);
	/* start_line (field FUNCTION_START_LINE) is unknown from a frame's text: left out, which means 0. */
	if (pb_buf__put_message(&b->functions_buf, PROFILE_FUNCTION, &b->msg))
		return -ENOMEM;
	return (int64_t)b->nfunctions;
}

/* One Location (id = frame index + 1) with one Line naming the frame's function. */
static int add_location(struct pprof_builder *b, const struct view_frame *f, uint64_t id)
{
	const char *name = f->name, *file = "";
	size_t name_len = strlen(name), file_len = 0;
	char *kernel = NULL;
	int64_t line = 0, fn;
	long py_line;

	/* pprof keeps function, file and line apart; a Python frame without a line keeps its whole name. */
	if (f->kind == VIEW_PYTHON && py_frame_name__split(f->name, &name_len, &file, &file_len, &py_line) &&
	    py_line >= 0) {
		line = py_line;
	} else {
		name_len = strlen(name);
		file = "";
		file_len = 0;
	}
	if (f->kind == VIEW_KERNEL) {
		/* flamegraph.pl's `_[k]`, as the folded output names kernel frames. */
		if (asprintf(&kernel, "%s_[k]", f->name) < 0)
			return -ENOMEM;
		name = kernel;
		name_len = strlen(kernel);
	}
	fn = function_id(b, name, name_len, file, file_len, f->kind == VIEW_NATIVE);
	free(kernel);
	if (fn < 0)
		return (int)fn;
	pb_buf__reset(&b->line);
	pb_buf__put_uint(&b->line, LINE_FUNCTION_ID, (uint64_t)fn);
	if (line)
		pb_buf__put_int(&b->line, LINE_LINE, line);
	pb_buf__reset(&b->msg);
	pb_buf__put_uint(&b->msg, LOCATION_ID, id);
	pb_buf__put_uint(&b->msg, LOCATION_MAPPING_ID, 1);
	pb_buf__put_message(&b->msg, LOCATION_LINE, &b->line);
	return pb_buf__put_message(&b->locations, PROFILE_LOCATION, &b->msg);
}

/*
 * The one Mapping every location is in: the program sampled (the process with the most samples), already named
 * (functions, files, lines), so pprof neither asks for the main binary nor tries to symbolize addresses.
 */
static int put_mapping(struct pprof_builder *b, struct pb_buf *out, const struct profile_view *v)
{
	const char *program = v->program ? v->program : "pyflame-bpf";
	int64_t name = intern(b, program, strlen(program));

	if (name < 0)
		return -ENOMEM;
	pb_buf__reset(&b->msg);
	pb_buf__put_uint(&b->msg, MAPPING_ID, 1);
	pb_buf__put_int(&b->msg, MAPPING_FILENAME, name);
	pb_buf__put_uint(&b->msg, MAPPING_HAS_FUNCTIONS, 1);
	pb_buf__put_uint(&b->msg, MAPPING_HAS_FILENAMES, 1);
	pb_buf__put_uint(&b->msg, MAPPING_HAS_LINE_NUMBERS, 1);
	return pb_buf__put_message(out, PROFILE_MAPPING, &b->msg);
}

/* x > 0 to the nearest integer, without libm (the program does not link it). */
static uint64_t round_nanos(double x)
{
	return x >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)(x + 0.5);
}

static void put_value_type(struct pb_buf *out, struct pb_buf *scratch, uint32_t field, int64_t type, int64_t unit)
{
	pb_buf__reset(scratch);
	pb_buf__put_int(scratch, VALUE_TYPE_TYPE, type);
	pb_buf__put_int(scratch, VALUE_TYPE_UNIT, unit);
	pb_buf__put_message(out, field, scratch);
}

/* The Sample messages: location ids leaf first (pprof's order; the view's are root first), then the values. */
static int put_samples(struct pb_buf *out, struct pb_buf *scratch, const struct profile_view *v,
		       double nanos_per_sample)
{
	uint64_t *ids = NULL, values[2];
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; !err && i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];

		if (s->nframes > cap) {
			uint64_t *n = realloc(ids, s->nframes * sizeof(*ids));

			if (!n) {
				err = -ENOMEM;
				break;
			}
			ids = n;
			cap = s->nframes;
		}
		for (uint32_t j = 0; j < s->nframes; j++)
			ids[j] = (uint64_t)s->frames[s->nframes - 1 - j] + 1;
		values[0] = s->count;
		values[1] = round_nanos((double)s->count * nanos_per_sample);
		pb_buf__reset(scratch);
		pb_buf__put_packed(scratch, SAMPLE_LOCATION_ID, ids, s->nframes);
		pb_buf__put_packed(scratch, SAMPLE_VALUE, values, 2);
		err = pb_buf__put_message(out, PROFILE_SAMPLE, scratch);
	}
	free(ids);
	return err;
}

/* data as one gzip member (zlib's deflate with windowBits 15 + 16 writes the gzip header and trailer). */
static int gzip_write(const uint8_t *data, size_t len, FILE *out)
{
	z_stream zs;
	uint8_t chunk[16384];
	int err = 0;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	for (;;) {
		size_t n;
		int rc;

		if (!zs.avail_in && len) {
			/* avail_in is an unsigned int: hand a large buffer over in slices. */
			uInt take = len > (1u << 30) ? (1u << 30) : (uInt)len;

			zs.next_in = (Bytef *)data;
			zs.avail_in = take;
			data += take;
			len -= take;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, len ? Z_NO_FLUSH : Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		n = sizeof(chunk) - zs.avail_out;
		if (n && fwrite(chunk, 1, n, out) != n) {
			err = -EIO;
			break;
		}
		if (rc == Z_STREAM_END)
			break;
	}
	deflateEnd(&zs);
	return err;
}

int pprof__write(const struct profile_view *v, double nanos_per_sample, FILE *out)
{
	struct pprof_builder b;
	struct pb_buf profile;
	int64_t samples, count, cpu, nanoseconds, note;
	int err = 0;

	if (!(nanos_per_sample > 0) || !isfinite(nanos_per_sample))
		return -EINVAL;
	memset(&b, 0, sizeof(b));
	pf_hashmap__init(&b.strings);
	pf_hashmap__init(&b.functions);
	pb_buf__init(&profile);
	/* string_table[0] must be "" (profile.proto). */
	if (intern(&b, "", 0) < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Each stack's count, then its time: samples and CPU time, or microseconds of wall-clock or off-CPU time. */
	static const struct {
		const char *count_type, *count_unit, *time_type;
	} types[] = {
		[MEASURE_CPU] = { "samples", "count", "cpu" },
		[MEASURE_WALL] = { "wall", "microseconds", "wall" },
		[MEASURE_OFF_CPU] = { "off_cpu", "microseconds", "off_cpu" },
	};
	samples = intern(&b, types[v->measure].count_type, strlen(types[v->measure].count_type));
	count = intern(&b, types[v->measure].count_unit, strlen(types[v->measure].count_unit));
	cpu = intern(&b, types[v->measure].time_type, strlen(types[v->measure].time_type));
	nanoseconds = intern(&b, "nanoseconds", 11);
	if (samples < 0 || count < 0 || cpu < 0 || nanoseconds < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < v->nframes; i++) {
		err = add_location(&b, &v->frames[i], (uint64_t)i + 1);
		if (err)
			goto cleanup;
	}

	put_value_type(&profile, &b.msg, PROFILE_SAMPLE_TYPE, samples, count);
	put_value_type(&profile, &b.msg, PROFILE_SAMPLE_TYPE, cpu, nanoseconds);
	err = put_samples(&profile, &b.msg, v, nanos_per_sample);
	err = err ?: put_mapping(&b, &profile, v);
	/* What the profile is (--slice's latency line): a comment, its text in the string table written next. */
	note = v->note ? intern(&b, v->note, strlen(v->note)) : 0;
	if (!err && note < 0)
		err = -ENOMEM;
	if (err)
		goto cleanup;
	pb_buf__put_raw(&profile, b.locations.data, b.locations.len);
	pb_buf__put_raw(&profile, b.functions_buf.data, b.functions_buf.len);
	pb_buf__put_raw(&profile, b.string_table.data, b.string_table.len);
	put_value_type(&profile, &b.msg, PROFILE_PERIOD_TYPE, cpu, nanoseconds);
	pb_buf__put_uint(&profile, PROFILE_PERIOD, round_nanos(nanos_per_sample));
	/* When and for how long the samples were taken (unknown for a saved profile without them: left out). */
	if (v->time_ns)
		pb_buf__put_uint(&profile, PROFILE_TIME_NANOS, v->time_ns);
	if (v->duration_ns)
		pb_buf__put_uint(&profile, PROFILE_DURATION_NANOS, v->duration_ns);
	if (note > 0)
		pb_buf__put_uint(&profile, PROFILE_COMMENT, (uint64_t)note);
	err = profile.err ?: b.locations.err ?: b.functions_buf.err ?: b.string_table.err;
	if (err)
		goto cleanup;
	err = gzip_write(profile.data, profile.len, out);

cleanup:
	pb_buf__free(&profile);
	pb_buf__free(&b.string_table);
	pb_buf__free(&b.locations);
	pb_buf__free(&b.functions_buf);
	pb_buf__free(&b.msg);
	pb_buf__free(&b.line);
	pf_hashmap__free(&b.strings);
	pf_hashmap__free(&b.functions);
	return err;
}
