package dev.sparseattn.trainer.report;

import dev.sparseattn.trainer.report.MetricsLog.Point;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Draws the loss curve as a PNG with plain Java2D (no plotting dependency): training and validation
 * bits per token against the step, with labelled axes, a legend and optional horizontal reference
 * lines (for instance the unigram entropy a model must beat).
 */
public final class LossCurve {
  private static final int W = 900;
  private static final int H = 540;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  /** A labelled horizontal line. */
  public record Reference(String label, double bits) {}

  private LossCurve() {}

  /** Writes the PNG to {@code out}. */
  public static void write(OutputStream out, String title, List<Point> train, List<Point> validation,
                           List<Reference> references) throws IOException {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);

    List<Point> all = new ArrayList<>(train);
    all.addAll(validation);
    long maxStep = Math.max(1, all.stream().mapToLong(Point::step).max().orElse(1));
    double maxY = Stream.concat(all.stream().map(Point::bits), references.stream().map(Reference::bits))
        .filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(1) * 1.05;
    double minY = 0;
    Axes axes = new Axes(maxStep, minY, maxY);

    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    drawGrid(g, axes);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, TOP - 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString("step", LEFT + (W - LEFT - RIGHT) / 2 - 12, H - 15);
    g.rotate(-Math.PI / 2);
    g.drawString("bits per token", -(TOP + (H - TOP - BOTTOM) / 2 + 40), 20);
    g.rotate(Math.PI / 2);

    float[] dash = {6f, 5f};
    Color[] refColors = {new Color(150, 150, 150), new Color(200, 120, 40), new Color(120, 60, 160)};
    int legendY = TOP + 15;
    for (int i = 0; i < references.size(); i++) {
      Reference r = references.get(i);
      g.setColor(refColors[i % refColors.length]);
      g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
      int y = axes.y(r.bits());
      g.drawLine(LEFT, y, W - RIGHT, y);
      legendY = legend(g, legendY, String.format("%s (%.3f)", r.label(), r.bits()));
    }
    g.setStroke(new BasicStroke(1.6f));
    g.setColor(new Color(31, 119, 180));
    polyline(g, axes, train);
    legendY = legend(g, legendY, "train (smoothed batches)");
    g.setStroke(new BasicStroke(2.4f));
    g.setColor(new Color(214, 39, 40));
    polyline(g, axes, validation);
    for (Point p : validation) {
      g.fillOval(axes.x(p.step()) - 4, axes.y(p.bits()) - 4, 8, 8);
    }
    legend(g, legendY, validation.isEmpty() ? "validation (none)"
        : String.format("validation (last %.3f)", validation.get(validation.size() - 1).bits()));
    g.dispose();
    ImageIO.write(img, "png", out);
  }

  private record Axes(long maxStep, double minY, double maxY) {
    int x(long step) {
      return LEFT + (int) Math.round((W - LEFT - RIGHT) * (double) step / maxStep);
    }

    int y(double bits) {
      double f = (bits - minY) / (maxY - minY);
      return H - BOTTOM - (int) Math.round((H - TOP - BOTTOM) * Math.max(0, Math.min(1, f)));
    }
  }

  private static void drawGrid(Graphics2D g, Axes a) {
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    double yStep = Ticks.step(a.maxY() - a.minY(), 8);
    for (double v = 0; v <= a.maxY() + 1e-9; v += yStep) {
      int y = a.y(v);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(LEFT + 1, y, W - RIGHT - 1, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format("%.1f", v), LEFT - 40, y + 4);
    }
    double xStep = Ticks.step(a.maxStep(), 8);
    for (double s = 0; s <= a.maxStep() + 1e-9; s += xStep) {
      int x = a.x((long) s);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(x, TOP + 1, x, H - BOTTOM - 1);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.valueOf((long) s), x - 10, H - BOTTOM + 18);
    }
  }

  private static void polyline(Graphics2D g, Axes a, List<Point> points) {
    for (int i = 1; i < points.size(); i++) {
      Point p = points.get(i - 1);
      Point q = points.get(i);
      g.drawLine(a.x(p.step()), a.y(p.bits()), a.x(q.step()), a.y(q.bits()));
    }
  }

  private static int legend(Graphics2D g, int y, String text) {
    int x = W - RIGHT - 300;
    g.fillRect(x, y - 9, 18, 4);
    g.setColor(Color.BLACK);
    g.drawString(text, x + 26, y - 3);
    return y + 20;
  }
}
