package org.jorderer.server.operations;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot.StateSetDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot.UnknownDataPointSnapshot;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Prometheus text exposition format 0.0.4 from registry snapshots.
 *
 * <p>We write it ourselves rather than use client_java's writer because that one always appends
 * {@code _total} to counter samples, while Fabric's orderer exports its counters under the bare
 * name ({@code broadcast_processed_count}, TYPE counter). Dashboards and alerts written against a
 * Go orderer must keep working, so each {@link Source} says which convention its counters follow.
 */
public final class PrometheusTextWriter {
  /** The Content-Type of text format 0.0.4, as Prometheus and Fabric's promhttp send it. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger log = LoggerFactory.getLogger(PrometheusTextWriter.class);

  /** How counter and info sample names come out for one registry. */
  public enum Naming {
    /** Fabric's metrics: a counter's sample has the family name as is. */
    FABRIC,
    /**
     * Prometheus conventions (counters end in {@code _total}, info metrics in {@code _info}), for
     * the JVM and process collectors: Fabric's Go process collector exposes {@code
     * process_cpu_seconds_total} too, and standard JVM dashboards expect these names.
     */
    PROMETHEUS
  }

  /** One registry to scrape and the naming its counters follow. */
  public record Source(PrometheusRegistry registry, Naming naming) {}

  private PrometheusTextWriter() {}

  /**
   * Scrapes every source and writes all families sorted by exposed name, each family's samples
   * sorted by labels, so two scrapes of the same state give the same text. A family whose name was
   * already written by an earlier source is skipped (a duplicate TYPE line would make the whole
   * scrape invalid for Prometheus).
   */
  public static void write(Writer out, List<Source> sources) throws IOException {
    Map<String, Family> families = new TreeMap<>();
    for (Source source : sources) {
      for (MetricSnapshot snapshot : source.registry().scrape()) {
        String name = snapshot.getMetadata().getPrometheusName();
        Family family = new Family(snapshot, source.naming());
        Family earlier = families.putIfAbsent(name, family);
        if (earlier != null) {
          log.warn("metric family {} is registered twice; exposing the first one only", name);
        }
      }
    }
    StringBuilder text = new StringBuilder(8192);
    for (Map.Entry<String, Family> entry : families.entrySet()) {
      writeFamily(text, entry.getKey(), entry.getValue());
    }
    out.write(text.toString());
  }

  private record Family(MetricSnapshot snapshot, Naming naming) {}

  private static void writeFamily(StringBuilder out, String name, Family family) {
    MetricSnapshot snapshot = family.snapshot();
    boolean prometheusNames = family.naming() == Naming.PROMETHEUS;
    String help = snapshot.getMetadata().getHelp();
    List<? extends DataPointSnapshot> points = sorted(snapshot.getDataPoints());
    if (snapshot instanceof CounterSnapshot) {
      // Prometheus groups a family by the name on its HELP/TYPE lines, so they carry the name the
      // samples use.
      String sample = prometheusNames ? name + "_total" : name;
      header(out, sample, help, "counter");
      for (DataPointSnapshot p : points) {
        sample(out, sample, p.getLabels(), null, null, ((CounterDataPointSnapshot) p).getValue());
      }
    } else if (snapshot instanceof GaugeSnapshot) {
      header(out, name, help, "gauge");
      for (DataPointSnapshot p : points) {
        sample(out, name, p.getLabels(), null, null, ((GaugeDataPointSnapshot) p).getValue());
      }
    } else if (snapshot instanceof HistogramSnapshot histogram) {
      // A gauge histogram has no 0.0.4 type of its own; client_java's writer calls it a histogram.
      header(out, name, help, "histogram");
      for (DataPointSnapshot p : points) {
        writeHistogram(out, name, (HistogramDataPointSnapshot) p);
      }
    } else if (snapshot instanceof SummarySnapshot) {
      header(out, name, help, "summary");
      for (DataPointSnapshot p : points) {
        writeSummary(out, name, (SummaryDataPointSnapshot) p);
      }
    } else if (snapshot instanceof InfoSnapshot) {
      // Text 0.0.4 has no info type: an info metric is a gauge that is always 1.
      String sample = prometheusNames ? name + "_info" : name;
      header(out, sample, help, "gauge");
      for (DataPointSnapshot p : points) {
        sample(out, sample, p.getLabels(), null, null, 1);
      }
    } else if (snapshot instanceof StateSetSnapshot) {
      // As client_java does: one gauge sample per state, labelled with the family name.
      header(out, name, help, "gauge");
      for (DataPointSnapshot p : points) {
        StateSetDataPointSnapshot states = (StateSetDataPointSnapshot) p;
        for (int i = 0; i < states.size(); i++) {
          sample(out, name, states.getLabels(), name, states.getName(i), states.isTrue(i) ? 1 : 0);
        }
      }
    } else if (snapshot instanceof UnknownSnapshot) {
      header(out, name, help, "untyped");
      for (DataPointSnapshot p : points) {
        sample(out, name, p.getLabels(), null, null, ((UnknownDataPointSnapshot) p).getValue());
      }
    } else {
      log.warn("metric family {} has unsupported type {}; not exposed", name,
          snapshot.getClass().getSimpleName());
    }
  }

  private static void writeHistogram(StringBuilder out, String name, HistogramDataPointSnapshot p) {
    Labels labels = p.getLabels();
    ClassicHistogramBuckets buckets = p.getClassicBuckets();
    // The snapshot holds per-bucket counts; the format wants each bucket to count everything at or
    // below its bound, ending with +Inf equal to _count.
    long cumulative = 0;
    boolean sawInf = false;
    for (int i = 0; i < buckets.size(); i++) {
      cumulative += buckets.getCount(i);
      double bound = buckets.getUpperBound(i);
      sawInf |= bound == Double.POSITIVE_INFINITY;
      sample(out, name + "_bucket", labels, "le", formatValue(bound), cumulative);
    }
    if (!sawInf) {
      // A native-only histogram has no classic buckets; +Inf alone still makes it a valid
      // histogram for Prometheus.
      sample(out, name + "_bucket", labels, "le", "+Inf", p.hasCount() ? p.getCount() : cumulative);
    }
    if (p.hasSum()) {
      sample(out, name + "_sum", labels, null, null, p.getSum());
    }
    sample(out, name + "_count", labels, null, null, p.hasCount() ? p.getCount() : cumulative);
  }

  private static void writeSummary(StringBuilder out, String name, SummaryDataPointSnapshot p) {
    Labels labels = p.getLabels();
    for (Quantile q : p.getQuantiles()) {
      sample(out, name, labels, "quantile", formatValue(q.getQuantile()), q.getValue());
    }
    if (p.hasSum()) {
      sample(out, name + "_sum", labels, null, null, p.getSum());
    }
    if (p.hasCount()) {
      sample(out, name + "_count", labels, null, null, p.getCount());
    }
  }

  private static void header(StringBuilder out, String name, String help, String type) {
    if (help != null && !help.isEmpty()) {
      out.append("# HELP ").append(name).append(' ');
      escape(out, help, false);
      out.append('\n');
    }
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder out, String name, Labels labels, String extraName,
      String extraValue, double value) {
    out.append(name);
    if (!labels.isEmpty() || extraName != null) {
      out.append('{');
      boolean first = true;
      for (int i = 0; i < labels.size(); i++) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(labels.getPrometheusName(i)).append("=\"");
        escape(out, labels.getValue(i), true);
        out.append('"');
      }
      if (extraName != null) {
        if (!first) {
          out.append(',');
        }
        out.append(extraName).append("=\"");
        escape(out, extraValue, true);
        out.append('"');
      }
      out.append('}');
    }
    out.append(' ').append(formatValue(value)).append('\n');
  }

  /**
   * Escaping of 0.0.4: backslash and newline everywhere, the double quote only inside label
   * values (in HELP text it is literal).
   */
  private static void escape(StringBuilder out, String s, boolean labelValue) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '"' -> out.append(labelValue ? "\\\"" : "\"");
        default -> out.append(c);
      }
    }
  }

  /**
   * Formats a sample value or bucket bound the way Go's promhttp does for the values that occur
   * here: integers without a fraction ({@code le="1"}, {@code 3}), so that label matchers written
   * against a Go orderer's {@code le} values still match, and the Prometheus spellings of the
   * infinities and NaN.
   */
  static String formatValue(double v) {
    if (v == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (v == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  private static List<? extends DataPointSnapshot> sorted(List<? extends DataPointSnapshot> points) {
    List<DataPointSnapshot> copy = new ArrayList<>(points);
    copy.sort(Comparator.comparing(DataPointSnapshot::getLabels, PrometheusTextWriter::compare));
    return copy;
  }

  /** Orders label sets by their names and values in turn, so the output does not depend on the
   *  order in which series were first touched. */
  private static int compare(Labels a, Labels b) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      int c = a.getPrometheusName(i).compareTo(b.getPrometheusName(i));
      if (c != 0) {
        return c;
      }
      c = a.getValue(i).compareTo(b.getValue(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
